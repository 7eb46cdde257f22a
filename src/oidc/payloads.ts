/**
 * The table of oidc-provider's models (every one but Client), and the statements on it besides the
 * adapter's look-ups (adapter.ts): the upsert, an account's sessions, the atomic rotation of a refresh
 * token, purging expired rows and revoking an account's state. Nothing here imports oidc-provider, so
 * the CLI and the purge job do not load it.
 */
import type { Knex } from 'knex';
import type { Database } from '../db/database';
import { PreparedStatement } from '../db/prepared';

export const PAYLOADS_TABLE = 'oidc_payloads';

const TABLE = PAYLOADS_TABLE;

/** One row as the adapter writes it: the payload as JSON text, and the columns indexed out of it. */
export interface PayloadWrite {
  model: string;
  id: string;
  json: string;
  grantId: string | null;
  uid: string | null;
  userCode: string | null;
  accountId: string | null;
  expiresAt: Date | null;
}

const UPSERT =
  new PreparedStatement(`insert into ${TABLE} (model, id, payload, grant_id, uid, user_code, account_id, expires_at)
  values (?, ?, ?, ?, ?, ?, ?, ?)
  on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
    uid = excluded.uid, user_code = excluded.user_code, account_id = excluded.account_id,
    expires_at = excluded.expires_at`);

/**
 * Inserts or replaces a row. Every token issued passes here: a prepared statement (db/prepared.ts).
 * Runs in the caller's transaction when given one.
 */
export async function upsertPayload(db: Database | Knex.Transaction, row: PayloadWrite): Promise<void> {
  await UPSERT.run(db, [
    row.model,
    row.id,
    row.json,
    row.grantId,
    row.uid,
    row.userCode,
    row.accountId,
    row.expiresAt,
  ]);
}

/**
 * Deletes every session, grant and token of an account (each row that carries its accountId): what
 * a changed or reset password, a disabled or deleted account must end at once, on every node, since
 * every node reads them from here. Runs in the caller's transaction when given one.
 */
export async function revokeAccountState(db: Database, accountId: string): Promise<number> {
  return db(TABLE).where('account_id', accountId).delete();
}

/** The models whose rows carry the id of the Grant they were issued under (the grant_id column). */
const ISSUED_UNDER_GRANT = [
  'AccessToken',
  'RefreshToken',
  'AuthorizationCode',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'Interaction',
];

/**
 * Ends what an account allowed one client, as a revoked consent must: the account's Grants for that
 * client, every token and code issued under them (what lib/helpers/revoke.js deletes for a revoked
 * refresh token), and the client's entry in the `authorizations` of the account's sessions. The
 * person stays signed in, to every other client too; this one finds no grant in the session and
 * comes back through /auth, where it is asked again (OpenID Connect Core §3.1.2.4). Statements in
 * the caller's transaction (the one that deleted the consent); returns how many rows they changed.
 *
 * A request in flight that loaded the session before this ran and saves it after would write the
 * entry back; it then names a grant that no longer exists, which the provider treats as none.
 */
export async function revokeClientState(db: Database, accountId: string, clientId: string): Promise<number> {
  const grants: { id: string }[] = await db(TABLE)
    .where({ model: 'Grant', account_id: accountId })
    .whereRaw(`payload->>'clientId' = ?`, [clientId])
    .delete()
    .returning('id');
  let changed = grants.length;
  if (grants.length) {
    changed += await db(TABLE)
      .whereIn('model', ISSUED_UNDER_GRANT)
      .whereIn(
        'grant_id',
        grants.map((grant) => grant.id),
      )
      .delete();
  }
  // `#-` deletes the path; the session keeps its account, its other clients and its cookie.
  changed += await db(TABLE)
    .where({ model: 'Session', account_id: accountId })
    .whereRaw(`payload->'authorizations'->? is not null`, [clientId])
    .update({ payload: db.raw(`payload #- array['authorizations', ?]::text[]`, [clientId]) });
  return changed;
}

/**
 * The ids of an account's sessions that include a client. The provider finds sessions by cookie or
 * uid only; a Session payload holds `accountId` and `authorizations` keyed by client id (the adapter
 * contract, oidc-provider example/my_adapter.js). Logout only, never on the hot path.
 */
export async function findSessionIdsWithClient(
  db: Database,
  accountId: string,
  clientId: string,
): Promise<string[]> {
  const rows: { id: string }[] = await db(TABLE)
    .select('id')
    .where('model', 'Session')
    .whereRaw(`payload->>'accountId' = ?`, [accountId])
    .whereRaw(`payload->'authorizations'->? is not null`, [clientId]);
  return rows.map((row) => row.id);
}

/** A refresh token's row as its rotation left it: consumed when, and the sealed answer it gave. */
export interface RotatedRefreshToken {
  payload: Record<string, unknown>;
  consumed_at: Date | null;
  successor: string | null;
}

export async function findRotatedRefreshToken(
  db: Database,
  id: string,
): Promise<RotatedRefreshToken | undefined> {
  return db(TABLE)
    .select('payload', 'consumed_at', 'successor')
    .where({ model: 'RefreshToken', id })
    .first() as Promise<RotatedRefreshToken | undefined>;
}

/** A refresh token still there (its grant not revoked), unconsumed and unexpired. */
export async function isUnusedRefreshToken(db: Database, id: string): Promise<boolean> {
  const row = await db(TABLE)
    .select('id')
    .where({ model: 'RefreshToken', id })
    .whereNull('consumed_at')
    .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', new Date()))
    .first();
  return row !== undefined;
}

/**
 * The rotation as one statement (atomic by itself, so no BEGIN and COMMIT round trips): the
 * compare-and-set consumption and the successors' insert as data-modifying CTEs, which PostgreSQL
 * runs exactly once and to completion whether or not the query reads them; the insert takes rows
 * only when the consumption changed the row. The writes come as one JSON array; the answer is
 * whether this call consumed the token.
 */
const ROTATE = new PreparedStatement<{ consumed: number }>(`with consumed as (
    update ${TABLE} set consumed_at = ?, successor = ?
    where model = 'RefreshToken' and id = ? and consumed_at is null
    returning id
  ), written as (
    insert into ${TABLE} (model, id, payload, grant_id, uid, user_code, account_id, expires_at)
    select w.model, w.id, w.payload, w.grant_id, w.uid, w.user_code, w.account_id, w.expires_at
      from jsonb_to_recordset(?::jsonb) as w(model text, id text, payload jsonb, grant_id text,
        uid text, user_code text, account_id text, expires_at timestamptz)
      where exists (select 1 from consumed)
    on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
      uid = excluded.uid, user_code = excluded.user_code, account_id = excluded.account_id,
      expires_at = excluded.expires_at
  )
  select count(*)::int as consumed from consumed`);

/** The writes as ROTATE reads them; the last write of a row wins, as it would one after the other. */
function writesJson(writes: PayloadWrite[]): string {
  const last = new Map<string, PayloadWrite>();
  for (const write of writes) {
    const key = `${write.model} ${write.id}`;
    last.delete(key);
    last.set(key, write);
  }
  // `json` is the payload's JSON already (the adapter's storableJson): spliced in, not encoded twice.
  const rows = [...last.values()].map(
    (w) =>
      `{"model":${JSON.stringify(w.model)},"id":${JSON.stringify(w.id)},"payload":${w.json},` +
      `"grant_id":${JSON.stringify(w.grantId)},"uid":${JSON.stringify(w.uid)},` +
      `"user_code":${JSON.stringify(w.userCode)},"account_id":${JSON.stringify(w.accountId)},` +
      `"expires_at":${JSON.stringify(w.expiresAt?.toISOString() ?? null)}}`,
  );
  return `[${rows.join(',')}]`;
}

/**
 * Consumes a refresh token and writes its successors, all or nothing. The consumption is a
 * compare-and-set: of parallel callers for one token one changes the row (on PostgreSQL the others
 * wait on its row lock, then find it consumed) and the others get false. `successor` (sealed) is
 * the answer kept for a retry within the grace window.
 */
export async function commitRotation(
  db: Database,
  consumedId: string,
  successor: string | null,
  writes: PayloadWrite[],
): Promise<boolean> {
  const { rows } = await ROTATE.run(db, [new Date(), successor, consumedId, writesJson(writes)]);
  return rows[0]?.consumed === 1;
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
