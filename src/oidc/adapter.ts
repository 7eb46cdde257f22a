/**
 * The storage contract of oidc-provider (docs/README.md "adapter"), on PostgreSQL through Knex.
 *
 * Every model but Client is a row of `oidc_payloads` keyed by (model, id); every look-up the library
 * makes is an index look-up (primary key, or the partial indexes on grant_id, uid and user_code).
 * Expired rows are never returned, and `purgeExpired` deletes them in small batches.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Database } from '../db/database';
import { ClientStore } from '../clients/store';

const TABLE = 'oidc_payloads';

interface PayloadRow {
  payload: AdapterPayload;
  consumed_at: Date | null;
}

function toPayload(row: PayloadRow | undefined): AdapterPayload | undefined {
  if (!row) return undefined;
  // The library reads a truthy `consumed` to detect reuse of codes and refresh tokens.
  if (row.consumed_at) return { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) };
  return row.payload;
}

/** Adapter for one oidc-provider model (the library builds one per model name). */
export class KnexAdapter implements Adapter {
  constructor(
    private readonly db: Database,
    private readonly model: string,
  ) {}

  private live() {
    return this.db<PayloadRow>(TABLE)
      .select('payload', 'consumed_at')
      .where('model', this.model)
      .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', new Date()));
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const row = {
      model: this.model,
      id,
      payload: JSON.stringify(payload),
      grant_id: payload.grantId ?? null,
      uid: payload.uid ?? null,
      user_code: payload.userCode ?? null,
      expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
    };
    await this.db(TABLE)
      .insert(row)
      .onConflict(['model', 'id'])
      .merge(['payload', 'grant_id', 'uid', 'user_code', 'expires_at']);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return toPayload(await this.live().andWhere('id', id).first());
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return toPayload(await this.live().andWhere('uid', uid).first());
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return toPayload(await this.live().andWhere('user_code', userCode).first());
  }

  async consume(id: string): Promise<void> {
    // Conditional: the first consumption's time stays.
    await this.db(TABLE)
      .where({ model: this.model, id })
      .whereNull('consumed_at')
      .update({ consumed_at: new Date() });
  }

  async destroy(id: string): Promise<void> {
    await this.db(TABLE).where({ model: this.model, id }).delete();
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db(TABLE).where({ model: this.model, grant_id: grantId }).delete();
  }
}

/**
 * Clients are read from the `clients` table (the registry the CLI and the admin API write), so that
 * every node sees the same clients and no static list is baked into the configuration.
 */
export class ClientAdapter implements Adapter {
  constructor(private readonly clients: ClientStore) {}

  async upsert(id: string, payload: AdapterPayload): Promise<void> {
    await this.clients.save({ ...payload, client_id: id });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return (await this.clients.findMetadata(id)) ?? undefined;
  }

  async findByUid(): Promise<undefined> {
    return undefined;
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  async consume(): Promise<void> {}

  async destroy(id: string): Promise<void> {
    await this.clients.delete(id);
  }

  async revokeByGrantId(): Promise<void> {}
}

/** The factory handed to oidc-provider's `adapter` option. */
export function createAdapterFactory(db: Database, clients: ClientStore): (model: string) => Adapter {
  const cache = new Map<string, Adapter>();
  return (model: string) => {
    let adapter = cache.get(model);
    if (!adapter) {
      adapter = model === 'Client' ? new ClientAdapter(clients) : new KnexAdapter(db, model);
      cache.set(model, adapter);
    }
    return adapter;
  };
}

/**
 * Deletes up to `batchSize` expired rows in one short statement (ctid sub-select, so no statement
 * holds locks on many rows for long). Returns how many went.
 */
export async function deleteExpiredBatch(db: Database, batchSize: number): Promise<number> {
  const result = await db.raw(
    `delete from ${TABLE} where ctid in (
       select ctid from ${TABLE} where expires_at < ? limit ?
     )`,
    [new Date(), batchSize],
  );
  return Number(result.rowCount ?? result.affectedRows ?? 0);
}
