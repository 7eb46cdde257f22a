/**
 * The storage contract of oidc-provider (docs/README.md "adapter"), on PostgreSQL through Knex.
 *
 * Every model but Client is a row of `oidc_payloads` keyed by (model, id); every look-up the library
 * makes is an index look-up (primary key, or the partial indexes on grant_id, uid and user_code).
 * Expired rows are never returned, and `purgeExpired` deletes them in small batches.
 */
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { Database } from '../db/database';
import { findUnstorable, isStorableText } from '../db/text';
import { ClientStore } from '../clients/store';
import { PAYLOADS_TABLE as TABLE, upsertPayload, type PayloadWrite } from './payloads';
import { currentRotation } from './refresh-rotation';
import { sharedFind } from './shared-finds';

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

interface Waiter {
  resolve(row: PayloadRow | undefined): void;
  reject(err: unknown): void;
}

/**
 * Finds of one id made in one synchronous stretch become one query. The library looks a presented
 * token up as an access token, a client credentials token and a refresh token at once
 * (lib/helpers/token_find.js: introspection, revocation); one primary-key scan answers all three.
 * The text is fixed per number of models, so knex compiles nothing on this path.
 */
class FindBatch {
  private pending = new Map<string, Map<string, Waiter[]>>();

  constructor(private readonly db: Database) {}

  find(model: string, id: string): Promise<PayloadRow | undefined> {
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) queueMicrotask(() => this.flush());
      let models = this.pending.get(id);
      if (!models) this.pending.set(id, (models = new Map()));
      const waiters = models.get(model);
      if (waiters) waiters.push({ resolve, reject });
      else models.set(model, [{ resolve, reject }]);
    });
  }

  private flush(): void {
    const pending = this.pending;
    this.pending = new Map();
    for (const [id, models] of pending) {
      const names = [...models.keys()];
      const sql = `select model, payload, consumed_at from ${TABLE}
        where id = ? and model in (${names.map(() => '?').join(', ')})
          and (expires_at is null or expires_at > ?)`;
      this.db.raw(sql, [id, ...names, new Date()]).then(
        (result: { rows: (PayloadRow & { model: string })[] }) => {
          for (const [model, waiters] of models) {
            const row = result.rows.find((r) => r.model === model);
            for (const waiter of waiters) waiter.resolve(row);
          }
        },
        (err: unknown) => {
          for (const waiters of models.values()) for (const waiter of waiters) waiter.reject(err);
        },
      );
    }
  }
}

const batches = new WeakMap<Database, FindBatch>();

function batchFor(db: Database): FindBatch {
  let batch = batches.get(db);
  if (!batch) batches.set(db, (batch = new FindBatch(db)));
  return batch;
}

/**
 * A payload the database cannot store holds a value a client sent (an /auth parameter kept in the
 * Interaction, a logout `state`): the request is invalid, and the answer names the parameter.
 */
function storableJson(payload: AdapterPayload): string {
  const json = JSON.stringify(payload);
  // JSON.stringify escapes U+0000 and unpaired surrogates and nothing else of the kind (a pair is
  // written as it is), so a payload without these escapes needs no closer look on the hot path.
  if (!/\\u0000|\\ud[89a-f]/i.test(json)) return json;
  const path = findUnstorable(payload);
  if (path === null) return json;
  // An Interaction keeps the request's parameters under `params` (and copies of some elsewhere).
  const inParams = payload.params ? findUnstorable(payload.params) : null;
  const parameter = inParams ? inParams.split('.')[0] : null;
  throw new errors.InvalidRequest(
    parameter
      ? `parameter '${parameter}' contains a character that is not allowed`
      : 'the request contains a character that is not allowed',
  );
}

/**
 * What the loser of a consumption race hears: the error the library itself answers for a used
 * authorization code, refresh token or device code (RFC 6749 §5.2 invalid_grant), or for a used
 * pushed request (RFC 9126 §2.2 invalid_request_uri), where it is consumed at the authorization
 * endpoint.
 */
function consumedError(model: string): Error {
  if (model === 'PushedAuthorizationRequest')
    return new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
  return new errors.InvalidGrant(`${model} already consumed`);
}

/**
 * ReplayDetection (lib/models/replay_detection.js `unique`: a find, then a save) keeps one row per
 * DPoP proof or client assertion jti. The find refuses a replay that comes after the first use; two
 * uses at once, on one node or two, both find nothing, so the save is an insert that only one of them
 * makes (or that replaces an expired row not yet purged), and the other is refused (RFC 9449 §11.1).
 */
const INSERT_ONCE = `insert into ${TABLE} (model, id, payload, expires_at) values (?, ?, ?, ?)
  on conflict (model, id) do update set payload = excluded.payload, expires_at = excluded.expires_at
    where ${TABLE}.expires_at is not null and ${TABLE}.expires_at <= ?`;

async function insertOnce(db: Database, write: PayloadWrite): Promise<void> {
  const now = new Date();
  const result = await db.raw(INSERT_ONCE, [write.model, write.id, write.json, write.expiresAt, now]);
  const inserted = Number(result.rowCount ?? result.affectedRows ?? 0);
  if (inserted !== 1) throw new errors.InvalidRequest('replay detected');
}

/** Adapter for one oidc-provider model (the library builds one per model name). */
export class KnexAdapter implements Adapter {
  private readonly batch: FindBatch;

  constructor(
    private readonly db: Database,
    private readonly model: string,
  ) {
    // Shared by every model's adapter on this database, so their finds can meet in one query.
    this.batch = batchFor(db);
  }

  private live() {
    return this.db<PayloadRow>(TABLE)
      .select('payload', 'consumed_at')
      .where('model', this.model)
      .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', new Date()));
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const write: PayloadWrite = {
      model: this.model,
      id,
      json: storableJson(payload),
      grantId: payload.grantId ?? null,
      uid: payload.uid ?? null,
      userCode: payload.userCode ?? null,
      accountId: payload.accountId ?? null,
      expiresAt: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
    };
    // A refresh token's successors are written with its consumption, in one transaction.
    if (this.model === 'ReplayDetection') return insertOnce(this.db, write);
    const rotation = currentRotation();
    if (rotation?.deferring) rotation.deferWrite(write);
    else await upsertPayload(this.db, write);
  }

  // A key the database cannot store (a presented token with U+0000 in it) names no row: not found.

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (!isStorableText(id)) return undefined;
    const row = await sharedFind(this.model, id, () => this.batch.find(this.model, id));
    // A consumed refresh token presented again: a retry within the grace window ends here.
    if (row?.consumed_at && this.model === 'RefreshToken')
      await currentRotation()?.onConsumedFind(id, row.payload);
    return toPayload(row);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    if (!isStorableText(uid)) return undefined;
    return toPayload(await this.live().andWhere('uid', uid).first());
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    if (!isStorableText(userCode)) return undefined;
    return toPayload(await this.live().andWhere('user_code', userCode).first());
  }

  async consume(id: string): Promise<void> {
    if (!isStorableText(id)) throw consumedError(this.model);
    const rotation = this.model === 'RefreshToken' ? currentRotation() : undefined;
    if (rotation) {
      rotation.deferConsume(id);
      return;
    }
    // Compare-and-set: the library found the row unconsumed, but so may a parallel request (on this
    // node or another). Only one changes it; the other must not go on to issue tokens.
    const changed = await this.db(TABLE)
      .where({ model: this.model, id })
      .whereNull('consumed_at')
      .update({ consumed_at: new Date() });
    if (changed !== 1) throw consumedError(this.model);
  }

  async destroy(id: string): Promise<void> {
    if (!isStorableText(id)) return;
    await this.db(TABLE).where({ model: this.model, id }).delete();
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    if (!isStorableText(grantId)) return;
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
