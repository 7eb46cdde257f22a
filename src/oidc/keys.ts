/**
 * Signing keys and cookie secrets, generated at the first start and kept in the database (encrypted)
 * so that every node signs and verifies with the same keys and a restart changes no `kid`.
 * oidc-provider never falls back to its development key: the provider is built with these.
 */
import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { recordAudit } from '../audit/record';
import type { Database } from '../db/database';
import { SecretBox } from '../security/secret-box';

const generate = promisify(generateKeyPair);

/** The algorithms the provider signs with; RS256 is required by OpenID Connect Core §15.1. */
export const SIGNING_ALGS = ['RS256', 'ES256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

export type KeyStatus = 'active' | 'retiring' | 'retired';

export interface SigningKeyInfo {
  kid: string;
  alg: string;
  status: KeyStatus;
  createdAt: Date;
  retireAfter: Date | null;
}

export interface KeyMaterial {
  /** Private JWKs for oidc-provider's `jwks`: active keys first (the first of each alg signs). */
  jwks: { keys: JWK[] };
  /** Cookie signing keys, newest first (the first signs, all verify). */
  cookieKeys: string[];
}

interface KeyRow {
  kid: string;
  alg: string;
  private_jwk_encrypted: string;
  status: KeyStatus;
  created_at: Date;
  retire_after: Date | null;
}

async function newPrivateJwk(alg: SigningAlg): Promise<JWK> {
  const { privateKey } =
    alg === 'RS256'
      ? await generate('rsa', { modulusLength: 2048 })
      : await generate('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  // RFC 7638 thumbprint: a stable, distinct, non-blank kid.
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  return { ...jwk, kid, alg, use: 'sig' };
}

// One node at a time creates keys: an advisory lock held for the transaction (PostgreSQL §9.27.10).
const KEYS_LOCK = 72616401;

export class KeyStore {
  private readonly box: SecretBox;

  constructor(
    private readonly db: Database,
    secretKey: string,
  ) {
    this.box = new SecretBox(secretKey);
  }

  /** Creates an active key per algorithm and a cookie secret where none exist yet. */
  async ensure(): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(?)', [KEYS_LOCK]);
      for (const alg of SIGNING_ALGS) {
        const active = await trx('signing_keys').where({ alg, status: 'active' }).first('kid');
        if (!active) await this.insertKey(trx, alg);
      }
      const secret = await trx('cookie_secrets').first('id');
      if (!secret)
        await trx('cookie_secrets').insert({
          secret_encrypted: this.box.seal(randomBytes(32).toString('base64url')),
        });
    });
  }

  private async insertKey(db: Database, alg: SigningAlg): Promise<string> {
    const jwk = await newPrivateJwk(alg);
    await db('signing_keys').insert({
      kid: jwk.kid,
      alg,
      private_jwk_encrypted: this.box.seal(JSON.stringify(jwk)),
      status: 'active',
    });
    return jwk.kid!;
  }

  /**
   * Makes a new key the signing key for each algorithm; the previous keys keep verifying until
   * `verifyForSeconds` have passed (the longest lifetime of anything they signed).
   */
  async rotate(verifyForSeconds: number): Promise<string[]> {
    return this.db.transaction(async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(?)', [KEYS_LOCK]);
      await trx('signing_keys')
        .where('status', 'active')
        .update({ status: 'retiring', retire_after: new Date(Date.now() + verifyForSeconds * 1000) });
      const kids: string[] = [];
      for (const alg of SIGNING_ALGS) kids.push(await this.insertKey(trx, alg));
      // The new key ids and algorithms: public facts (the JWKS shows them), never the material.
      for (const [i, kid] of kids.entries())
        await recordAudit(trx, {
          type: 'key.rotated',
          target: { type: 'key', id: kid },
          data: { alg: SIGNING_ALGS[i], verify_for_seconds: verifyForSeconds },
        });
      return kids;
    });
  }

  /** Retires one key now (it leaves the JWKS); an active key cannot be retired this way. */
  async retire(kid: string): Promise<'retired' | 'not_found' | 'active'> {
    return this.db.transaction(async (trx) => {
      const row = await trx<KeyRow>('signing_keys').where('kid', kid).forUpdate().first('status');
      if (!row) return 'not_found';
      if (row.status === 'active') return 'active';
      await trx('signing_keys').where('kid', kid).update({ status: 'retired' });
      if (row.status !== 'retired')
        await recordAudit(trx, { type: 'key.retired', target: { type: 'key', id: kid } });
      return 'retired';
    });
  }

  /** Moves retiring keys whose time has passed to retired. */
  async retireExpired(now = new Date()): Promise<number> {
    return this.db('signing_keys')
      .where('status', 'retiring')
      .andWhere('retire_after', '<=', now)
      .update({ status: 'retired' });
  }

  async list(): Promise<SigningKeyInfo[]> {
    const rows = await this.db<KeyRow>('signing_keys')
      .select('kid', 'alg', 'status', 'created_at', 'retire_after')
      .orderBy('created_at', 'desc');
    return rows.map((r) => ({
      kid: r.kid,
      alg: r.alg,
      status: r.status,
      createdAt: r.created_at,
      retireAfter: r.retire_after,
    }));
  }

  /**
   * A cheap fingerprint of the key set: it changes whenever a key is added, rotated or retired, or a
   * cookie secret is added. Nodes compare it to know when to rebuild their provider.
   */
  async version(): Promise<string> {
    const keys = await this.db<KeyRow>('signing_keys')
      .whereIn('status', ['active', 'retiring'])
      .orderBy('kid')
      .select('kid', 'status');
    const secret = await this.db('cookie_secrets').max<{ max: number | null }[]>({ max: 'id' }).first();
    return `${keys.map((k) => `${k.kid}:${k.status}`).join(',')}|${secret?.max ?? 0}`;
  }

  /** Everything the provider needs to sign, verify and sign cookies. */
  async load(): Promise<KeyMaterial> {
    const rows = await this.db<KeyRow>('signing_keys')
      .whereIn('status', ['active', 'retiring'])
      .orderByRaw("case status when 'active' then 0 else 1 end")
      .orderBy('created_at', 'desc');
    const secrets = await this.db<{ secret_encrypted: string }>('cookie_secrets').orderBy('id', 'desc');
    return {
      jwks: { keys: rows.map((r) => JSON.parse(this.box.open(r.private_jwk_encrypted)) as JWK) },
      cookieKeys: secrets.map((s) => this.box.open(s.secret_encrypted)),
    };
  }
}
