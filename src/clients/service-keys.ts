/**
 * X-Service-Key credentials. A key is 256 random bits, shown once; only its SHA-256 is stored, and a
 * presented key is found by the hash of what was presented (an indexed, constant-time look-up: the
 * database compares digests, never the key itself).
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { recordAudit } from '../audit/record';
import type { Database } from '../db/database';

export interface ServiceKey {
  id: string;
  clientId: string;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

interface ServiceKeyRow {
  id: string;
  client_id: string;
  key_hash: string;
  prefix: string;
  created_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export function hashServiceKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function toServiceKey(row: ServiceKeyRow): ServiceKey {
  return {
    id: row.id,
    clientId: row.client_id,
    prefix: row.prefix,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

export class ServiceKeyStore {
  constructor(private readonly db: Database) {}

  /** Creates a key for the client; the returned `key` is the only time it is seen. */
  async create(clientId: string): Promise<{ key: string; serviceKey: ServiceKey }> {
    const key = `gh_sk_${randomBytes(32).toString('base64url')}`;
    const row: ServiceKeyRow = {
      id: randomUUID(),
      client_id: clientId,
      key_hash: hashServiceKey(key),
      prefix: key.slice(0, 12),
      created_at: new Date(),
      revoked_at: null,
      last_used_at: null,
    };
    await this.db.transaction(async (trx) => {
      await trx('service_keys').insert(row);
      // The prefix only (what listings show): never the key or its hash.
      await recordAudit(trx, {
        type: 'service_key.created',
        target: { type: 'service_key', id: row.id },
        data: { client_id: clientId, prefix: row.prefix },
      });
    });
    return { key, serviceKey: toServiceKey(row) };
  }

  async list(clientId: string): Promise<ServiceKey[]> {
    const rows = await this.db<ServiceKeyRow>('service_keys')
      .where('client_id', clientId)
      .orderBy('created_at');
    return rows.map(toServiceKey);
  }

  async revoke(id: string): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const rows: Pick<ServiceKeyRow, 'client_id' | 'prefix'>[] = await trx('service_keys')
        .where('id', id)
        .whereNull('revoked_at')
        .update({ revoked_at: new Date() })
        .returning(['client_id', 'prefix']);
      const revoked = rows[0];
      if (revoked)
        await recordAudit(trx, {
          type: 'service_key.revoked',
          target: { type: 'service_key', id },
          data: { client_id: revoked.client_id, prefix: revoked.prefix },
        });
      return Boolean(revoked);
    });
  }

  /** The client a presented key belongs to, or null for an unknown or revoked key. */
  async verify(presented: string): Promise<string | null> {
    if (!presented || presented.length > 512) return null;
    const digest = hashServiceKey(presented);
    const row = await this.db<ServiceKeyRow>('service_keys')
      .select('client_id', 'key_hash')
      .where('key_hash', digest)
      .whereNull('revoked_at')
      .first();
    if (!row) return null;
    // Belt and braces: the index found the row by digest; compare the digests in constant time.
    const ok = timingSafeEqual(Buffer.from(row.key_hash, 'hex'), Buffer.from(digest, 'hex'));
    return ok ? row.client_id : null;
  }
}
