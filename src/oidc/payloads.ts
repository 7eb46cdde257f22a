/**
 * The table of oidc-provider's models (every one but Client), and the statements on it that run
 * without the library: purging expired rows and revoking an account's state. Nothing here imports
 * oidc-provider, so the CLI and the purge job do not load it.
 */
import type { Knex } from 'knex';
import type { Database } from '../db/database';

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

const UPSERT = `insert into ${TABLE} (model, id, payload, grant_id, uid, user_code, account_id, expires_at)
  values (?, ?, ?, ?, ?, ?, ?, ?)
  on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
    uid = excluded.uid, user_code = excluded.user_code, account_id = excluded.account_id,
    expires_at = excluded.expires_at`;

/**
 * Inserts or replaces a row. Every token issued passes here: fixed text, nothing for knex to
 * compile. Runs in the caller's transaction when given one.
 */
export async function upsertPayload(db: Database | Knex.Transaction, row: PayloadWrite): Promise<void> {
  await db.raw(UPSERT, [
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
