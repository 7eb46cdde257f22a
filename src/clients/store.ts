/**
 * The client registry. Metadata is stored with RFC 7591 names, exactly as oidc-provider reads it
 * through the Client adapter; the provider validates it when it loads a client.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ClientMetadata } from 'oidc-provider';
import { recordAudit } from '../audit/record';
import type { Database } from '../db/database';
import { isStorableText } from '../db/text';
import { verifyDjangoHash } from '../security/django-hashes';
import { CLIENTS_CHANNEL, RegistryCache } from './cache';
import { DEFAULT_CLIENT_SCOPE } from './scope';

/**
 * Ids of the clients Gatehouse itself defines in the provider's configuration (the account pages'
 * `gatehouse-account`). A static client shadows a stored one of the same id, so none may be stored.
 */
export const RESERVED_CLIENT_IDS: ReadonlySet<string> = new Set(['gatehouse-account', 'gatehouse-admin']);

/** Whether the id belongs to one of Gatehouse's own clients (RESERVED_CLIENT_IDS). */
export function isReservedClientId(clientId: string): boolean {
  return RESERVED_CLIENT_IDS.has(clientId);
}

export type StoredClient = ClientMetadata & { client_id: string; first_party?: boolean };

interface ClientRow {
  client_id: string;
  metadata: StoredClient;
  created_at: Date;
  updated_at: Date;
}

/** A fresh client secret: 256 bits, base64url. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** What an operator says about a new client (the CLI's flags, the admin API's body). */
export interface NewClient {
  clientId?: string;
  name: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  grantTypes?: string[];
  /** A public client (no secret, token_endpoint_auth_method none, PKCE required). */
  public?: boolean;
  firstParty?: boolean;
  scope?: string;
}

/** A client's metadata as built from operator input; the provider validates it when it loads the client. */
export function buildClientMetadata(input: NewClient, clientId: string, secret: string | null): StoredClient {
  const grantTypes = input.grantTypes?.length ? input.grantTypes : ['authorization_code', 'refresh_token'];
  const usesRedirects = grantTypes.includes('authorization_code') || grantTypes.includes('implicit');
  return {
    client_id: clientId,
    client_name: input.name,
    ...(secret ? { client_secret: secret } : {}),
    token_endpoint_auth_method: input.public ? 'none' : 'client_secret_basic',
    grant_types: grantTypes,
    response_types: usesRedirects ? ['code'] : [],
    redirect_uris: input.redirectUris ?? [],
    post_logout_redirect_uris: input.postLogoutRedirectUris ?? [],
    scope: input.scope || DEFAULT_CLIENT_SCOPE,
    ...(input.firstParty ? { first_party: true } : {}),
  };
}

/**
 * A client's metadata always lists its scopes: without a list the provider would allow every scope
 * it knows, `admin` included (the migration that required lists gave existing clients theirs).
 */
function withScope(client: StoredClient): StoredClient {
  return client.scope ? client : { ...client, scope: DEFAULT_CLIENT_SCOPE };
}

/** Constant-time comparison of two secrets (lengths may differ; that much is not secret). */
function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Strips the secret: what listings and reads may show after creation. */
export function publicMetadata(client: StoredClient): Omit<StoredClient, 'client_secret'> {
  const { client_secret: _secret, ...rest } = client;
  return rest;
}

/** The names of the metadata fields whose values differ (compared as JSON). */
function changedFields(before: StoredClient, after: StoredClient): string[] {
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names].filter((name) => JSON.stringify(a[name]) !== JSON.stringify(b[name])).sort();
}

export class ClientStore {
  /**
   * Off until the owner says notifications are heard (setEnabled): a process that cannot hear other
   * processes' writes must read every time.
   */
  readonly cache = new RegistryCache<StoredClient>({
    ttlMs: 60_000,
    maxEntries: 10_000,
    enabled: false,
    channel: CLIENTS_CHANNEL,
  });

  constructor(private readonly db: Database) {}

  private async read(clientId: string): Promise<StoredClient | null> {
    const row = await this.db<ClientRow>('clients').select('metadata').where('client_id', clientId).first();
    return row ? withScope({ ...row.metadata, client_id: clientId }) : null;
  }

  async findMetadata(clientId: string): Promise<StoredClient | null> {
    // A client_id the database cannot hold (U+0000) is no client's: the caller answers invalid_client.
    if (!isStorableText(clientId)) return null;
    return this.cache.read(clientId, () => this.read(clientId));
  }

  /** A write, announced to every process's cache (RegistryCache.write). */
  private write<T>(clientId: string, change: (trx: Database) => Promise<T>): Promise<T> {
    return this.cache.write(this.db, clientId, change);
  }

  /**
   * Records an upsert's event in its transaction: client.created for a new client, client.updated
   * with the names of the metadata fields that changed (never their values: one is the secret).
   */
  private static async recordSave(trx: Database, before: StoredClient | null, after: StoredClient) {
    const target = { type: 'client', id: after.client_id } as const;
    if (!before) return void (await recordAudit(trx, { type: 'client.created', target }));
    const fields = changedFields(before, after);
    if (fields.length) await recordAudit(trx, { type: 'client.updated', target, data: { fields } });
  }

  private static async current(trx: Database, clientId: string): Promise<StoredClient | null> {
    const row = await trx<ClientRow>('clients')
      .select('metadata')
      .where('client_id', clientId)
      .forUpdate()
      .first();
    return row ? withScope({ ...row.metadata, client_id: clientId }) : null;
  }

  /** Inserts or replaces a client's metadata. */
  async save(client: StoredClient): Promise<void> {
    const metadata = withScope(client);
    await this.write(metadata.client_id, async (trx) => {
      const before = await ClientStore.current(trx, metadata.client_id);
      await trx('clients')
        .insert({ client_id: metadata.client_id, metadata: JSON.stringify(metadata) })
        .onConflict('client_id')
        .merge({ metadata: JSON.stringify(metadata), updated_at: new Date() });
      await ClientStore.recordSave(trx, before, metadata);
    });
  }

  /**
   * Inserts or replaces a client whose secret is known only as a hash in a foreign format (an imported
   * django-oauth-toolkit 2.x secret; see the migration of `secret_hash`), or clears such a hash (null)
   * when the metadata's own secret is the one to compare. The metadata's `client_secret` must then be
   * a random value nobody knows, so that the provider's plain comparison never matches by itself.
   */
  async saveWithSecretHash(client: StoredClient, secretHash: string | null): Promise<void> {
    const metadata = withScope(client);
    const row = { metadata: JSON.stringify(metadata), secret_hash: secretHash };
    await this.write(metadata.client_id, async (trx) => {
      const before = await ClientStore.current(trx, metadata.client_id);
      await trx('clients')
        .insert({ client_id: metadata.client_id, ...row })
        .onConflict('client_id')
        .merge({ ...row, updated_at: new Date() });
      await ClientStore.recordSave(trx, before, metadata);
    });
  }

  /**
   * Verifies a presented secret against the client's foreign hash (clients.secret_hash: a
   * django-oauth-toolkit ≥ 2.0 secret, hashed by Django's make_password), for the provider's client
   * authentication when its plain comparison failed. On success the presented secret becomes the
   * metadata's client_secret and the hash is cleared, in one compare-and-set on the hash that was
   * verified, announced to every node like any write: from then on the provider's own comparison
   * matches. Of two racing first presentations one writes; the other finds the secret it presented
   * already there, and both succeed. False for no hash, a wrong secret, or a secret rotated meanwhile.
   */
  async verifyForeignSecret(clientId: string, presented: string): Promise<boolean> {
    if (!isStorableText(clientId) || !isStorableText(presented)) return false;
    const row = await this.db<{ secret_hash: string | null }>('clients')
      .select('secret_hash')
      .where('client_id', clientId)
      .first();
    const hash = row?.secret_hash;
    if (!hash || !(await verifyDjangoHash(presented, hash))) return false;
    const promoted = await this.write(clientId, (trx) =>
      trx('clients')
        .where({ client_id: clientId, secret_hash: hash })
        .update({
          metadata: trx.raw(`jsonb_set(metadata, '{client_secret}', to_jsonb(?::text))`, [presented]),
          secret_hash: null,
          updated_at: new Date(),
        }),
    );
    if (promoted > 0) return true;
    const current = await this.read(clientId);
    return typeof current?.client_secret === 'string' && sameSecret(current.client_secret, presented);
  }

  /** Inserts a client; false when the id is taken. */
  async insert(client: StoredClient): Promise<boolean> {
    const metadata = withScope(client);
    const rows = await this.write(metadata.client_id, async (trx) => {
      const inserted: unknown[] = await trx('clients')
        .insert({ client_id: metadata.client_id, metadata: JSON.stringify(metadata) })
        .onConflict('client_id')
        .ignore()
        .returning('client_id');
      if (inserted.length) await ClientStore.recordSave(trx, null, metadata);
      return inserted;
    });
    return rows.length > 0;
  }

  /**
   * Registers a client with a generated id (unless given) and, for a confidential client, a generated
   * secret. The secret is returned here once; nothing shows it again.
   */
  async create(input: NewClient): Promise<{ client: StoredClient; secret: string | null }> {
    const clientId = input.clientId ?? `gh_${randomBytes(12).toString('base64url')}`;
    if (isReservedClientId(clientId)) throw new Error(`client ${clientId} is reserved`);
    const secret = input.public ? null : generateSecret();
    const client = buildClientMetadata(input, clientId, secret);
    if (!(await this.insert(client))) throw new Error(`client ${clientId} already exists`);
    return { client, secret };
  }

  /** Merges changes into a client's metadata; null for an unknown client. */
  async update(clientId: string, changes: Partial<StoredClient>): Promise<StoredClient | null> {
    const current = await this.read(clientId);
    if (!current) return null;
    const next = { ...current, ...changes, client_id: clientId };
    await this.save(next);
    return next;
  }

  /** Replaces a confidential client's secret; returns the new secret (shown once), or null. */
  async rotateSecret(clientId: string): Promise<string | null> {
    const current = await this.read(clientId);
    if (!current || current.token_endpoint_auth_method === 'none') return null;
    const secret = generateSecret();
    const metadata = withScope({ ...current, client_secret: secret });
    await this.write(clientId, async (trx) => {
      // A foreign hash of the old secret (an imported one) must not keep verifying it.
      await trx('clients')
        .where('client_id', clientId)
        .update({ metadata: JSON.stringify(metadata), secret_hash: null, updated_at: new Date() });
      await recordAudit(trx, { type: 'client.secret_rotated', target: { type: 'client', id: clientId } });
    });
    return secret;
  }

  async delete(clientId: string): Promise<boolean> {
    return this.write(clientId, async (trx) => {
      const deleted = await trx('clients').where('client_id', clientId).delete();
      if (deleted)
        await recordAudit(trx, { type: 'client.deleted', target: { type: 'client', id: clientId } });
      return deleted > 0;
    });
  }

  async list(): Promise<StoredClient[]> {
    const rows = await this.db<ClientRow>('clients').select('client_id', 'metadata').orderBy('client_id');
    return rows.map((row) => withScope({ ...row.metadata, client_id: row.client_id }));
  }

  async count(): Promise<number> {
    const row = await this.db('clients').count<{ count: string | number }[]>({ count: '*' }).first();
    return Number(row?.count ?? 0);
  }
}
