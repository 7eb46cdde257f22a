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
import { ACCOUNT_COLUMNS, AccountStore, UUID_PATTERN } from '../accounts/store';
import type { Account } from '../accounts/account-row';
import { ClientStore } from '../clients/store';
import { PAYLOADS_TABLE as TABLE, upsertPayload, type PayloadWrite } from './payloads';
import { currentRotation } from './refresh-rotation';
import { PreparedStatement } from '../db/prepared';
import { forgetFind, readAhead, sharedFind } from './shared-finds';

interface PayloadRow {
  payload: AdapterPayload;
  consumed_at: Date | null;
}

/** A found row, and the Grant it names as the same statement read it (undefined: none by that id). */
interface FoundRow extends PayloadRow {
  grant?: { id: string; row: PayloadRow | undefined };
  /** A token's account, as the same statement read it (null: none by that id). */
  account?: { id: string; account: Account | null };
}

function toPayload(row: PayloadRow | undefined): AdapterPayload | undefined {
  if (!row) return undefined;
  // The library reads a truthy `consumed` to detect reuse of codes and refresh tokens.
  if (row.consumed_at) return { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) };
  return row.payload;
}

interface Waiter {
  resolve(row: FoundRow | undefined): void;
  reject(err: unknown): void;
}

/** A row of a token find: the token's columns under their own names, its grant's, its account's. */
type TokenRow = Record<string, unknown> & {
  token_model: string;
  token_payload: AdapterPayload;
  token_consumed_at: Date | null;
  token_grant_id: string | null;
  token_account_id: string | null;
  grant_payload: AdapterPayload | null;
  grant_consumed_at: Date | null;
  grant_found: boolean;
  /** Only in a statement that joins the account (ACCOUNT_COLUMNS follow it). */
  account_found?: boolean;
};

/**
 * The models a find of which the library follows with findAccount for the token's account: the
 * bearer check and userinfo (an access token), the refresh and authorization code grants.
 */
const FOLLOWED_BY_ACCOUNT = new Set(['AccessToken', 'RefreshToken', 'AuthorizationCode']);

/**
 * The look-up of one id as one or more models, with the Grant each row was issued under: the
 * library's next step after finding a token is to find its grant (introspection, userinfo, the
 * refresh and code grants), and here that costs no second round trip (shared-finds.ts readAhead).
 * `withAccount` (a token of FOLLOWED_BY_ACCOUNT looked up alone) also joins its account with its
 * roles, for findAccount (provider.ts); an account_id that is no UUID names no account, as
 * AccountStore.findById answers for it.
 */
function findStatement(models: number, withAccount: boolean): PreparedStatement<TokenRow> {
  return new PreparedStatement<TokenRow>(`select t.model as token_model, t.payload as token_payload,
      t.consumed_at as token_consumed_at, t.grant_id as token_grant_id, t.account_id as token_account_id,
      g.payload as grant_payload, g.consumed_at as grant_consumed_at, g.id is not null as grant_found
      ${withAccount ? `, a.id is not null as account_found, ${ACCOUNT_COLUMNS}` : ''}
    from ${TABLE} t
    left join ${TABLE} g on g.model = 'Grant' and g.id = t.grant_id
      and (g.expires_at is null or g.expires_at > ?)
    ${withAccount ? `left join accounts a on a.id = case when t.account_id ~* '${UUID_PATTERN}' then t.account_id::uuid end` : ''}
    where t.id = ? and t.model in (${Array.from({ length: models }, () => '?').join(', ')})
      and (t.expires_at is null or t.expires_at > ?)`);
}

/** One statement per number of models asked for at once (1 to 3 in practice), with or without the account. */
const FIND_STATEMENTS = new Map<string, PreparedStatement<TokenRow>>();

function findStatementFor(models: number, withAccount: boolean): PreparedStatement<TokenRow> {
  const key = `${models} ${withAccount}`;
  let statement = FIND_STATEMENTS.get(key);
  if (!statement) FIND_STATEMENTS.set(key, (statement = findStatement(models, withAccount)));
  return statement;
}

function foundRow(row: TokenRow | undefined): FoundRow | undefined {
  if (!row) return undefined;
  const found: FoundRow = { payload: row.token_payload, consumed_at: row.token_consumed_at };
  if (row.token_grant_id && row.token_model !== 'Grant')
    found.grant = {
      id: row.token_grant_id,
      row: row.grant_found ? { payload: row.grant_payload!, consumed_at: row.grant_consumed_at } : undefined,
    };
  if (row.account_found !== undefined && row.token_account_id)
    found.account = {
      id: row.token_account_id,
      account: row.account_found
        ? AccountStore.fromRow(row as unknown as Parameters<typeof AccountStore.fromRow>[0])
        : null,
    };
  return found;
}

/**
 * Finds of one id made in one synchronous stretch become one query. The library looks a presented
 * token up as an access token, a client credentials token and a refresh token at once
 * (lib/helpers/token_find.js: introspection, revocation); one primary-key scan answers all three.
 * The statements are prepared, so nothing is compiled on this path, by knex or by PostgreSQL.
 */
class FindBatch {
  private pending = new Map<string, Map<string, Waiter[]>>();

  constructor(private readonly db: Database) {}

  find(model: string, id: string): Promise<FoundRow | undefined> {
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
      const now = new Date();
      const withAccount = names.length === 1 && FOLLOWED_BY_ACCOUNT.has(names[0]!);
      findStatementFor(names.length, withAccount)
        .run(this.db, [now, id, ...names, now])
        .then(
          ({ rows }) => {
            for (const [model, waiters] of models) {
              const row = foundRow(rows.find((r) => r.token_model === model));
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
const INSERT_ONCE = new PreparedStatement(`insert into ${TABLE} (model, id, payload, expires_at)
  values (?, ?, ?, ?)
  on conflict (model, id) do update set payload = excluded.payload, expires_at = excluded.expires_at
    where ${TABLE}.expires_at is not null and ${TABLE}.expires_at <= ?`);

async function insertOnce(db: Database, write: PayloadWrite): Promise<void> {
  const now = new Date();
  const result = await INSERT_ONCE.run(db, [write.model, write.id, write.json, write.expiresAt, now]);
  if (result.rowCount !== 1) throw new errors.InvalidRequest('replay detected');
}

/** The compare-and-set of `consume` (below). */
const CONSUME = new PreparedStatement(
  `update ${TABLE} set consumed_at = ? where model = ? and id = ? and consumed_at is null`,
);

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
    forgetFind(this.model, id);
    // A refresh token's successors are written with its consumption, in one transaction.
    if (this.model === 'ReplayDetection') return insertOnce(this.db, write);
    const rotation = currentRotation();
    if (rotation?.deferring) rotation.deferWrite(write);
    else await upsertPayload(this.db, write);
  }

  // A key the database cannot store (a presented token with U+0000 in it) names no row: not found.

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (!isStorableText(id)) return undefined;
    const row = await sharedFind<FoundRow | undefined>(this.model, id, () => this.batch.find(this.model, id));
    // Read with it: the grant it was issued under, for this request's find of that grant.
    if (row?.grant) readAhead('Grant', row.grant.id, row.grant.row);
    if (row?.account) readAhead('Account', row.account.id, row.account.account);
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
    forgetFind(this.model, id);
    const rotation = this.model === 'RefreshToken' ? currentRotation() : undefined;
    if (rotation) {
      rotation.deferConsume(id);
      return;
    }
    // Compare-and-set: the library found the row unconsumed, but so may a parallel request (on this
    // node or another). Only one changes it; the other must not go on to issue tokens.
    const { rowCount } = await CONSUME.run(this.db, [new Date(), this.model, id]);
    if (rowCount !== 1) throw consumedError(this.model);
  }

  async destroy(id: string): Promise<void> {
    if (!isStorableText(id)) return;
    forgetFind(this.model, id);
    await this.db(TABLE).where({ model: this.model, id }).delete();
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    if (!isStorableText(grantId)) return;
    forgetFind('Grant', grantId);
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
