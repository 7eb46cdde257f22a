/**
 * The outbox of OpenID Connect Back-Channel Logout 1.0 (migration 20261205000200): a row per client
 * of a session that ended, written in the step that ends it, claimed and settled by the delivery job
 * of any node (jobs/backchannel-logout.ts), and the per-client counts an operator reads.
 *
 * A row names the client, the subject and the `sid` the session gave that client (§2.4 `sid`,
 * lib/models/session.js sidFor); never a token. Only clients whose metadata has a
 * `backchannel_logout_uri` get rows (§2.2). Nothing here imports oidc-provider.
 */
import type { Database, Executor } from '../db/database';

export const OUTBOX_TABLE = 'backchannel_logout_outbox';
export const COUNTS_TABLE = 'backchannel_logout_counts';

/** A logout the session's end owes one client. */
export interface PendingLogout {
  clientId: string;
  accountId: string;
  /** The session's id for this client (its `sid` claim); null when the session recorded none. */
  sid: string | null;
}

/** A row the job claimed: `attempts` counts this attempt. */
export interface ClaimedLogout extends PendingLogout {
  id: string;
  attempts: number;
}

/** What a Session payload holds that this module reads (lib/models/session.js IN_PAYLOAD). */
export interface SessionLogoutPayload {
  accountId?: unknown;
  authorizations?: Record<string, { sid?: unknown } | undefined>;
}

/** The logouts a session owes: one per client it signed in to. */
export function logoutsOfSession(accountId: string, payload: SessionLogoutPayload): PendingLogout[] {
  return Object.entries(payload.authorizations ?? {}).map(([clientId, authorization]) => ({
    clientId,
    accountId,
    sid: typeof authorization?.sid === 'string' ? authorization.sid : null,
  }));
}

/**
 * Queues the logouts whose client registered a back-channel logout URI (one look-up by the clients'
 * primary key), in the caller's transaction when given one: the session's end and its logouts commit
 * together. Returns how many were queued.
 */
export async function queueLogouts(db: Executor, logouts: PendingLogout[]): Promise<number> {
  if (logouts.length === 0) return 0;
  const clientIds = [...new Set(logouts.map((logout) => logout.clientId))];
  const rows: { client_id: string }[] = await db('clients')
    .select('client_id')
    .whereIn('client_id', clientIds)
    .whereRaw(`coalesce(metadata->>'backchannel_logout_uri', '') <> ''`);
  const receiving = new Set(rows.map((row) => row.client_id));
  const queued = logouts
    .filter((logout) => receiving.has(logout.clientId))
    .map((logout) => ({ client_id: logout.clientId, account_id: logout.accountId, sid: logout.sid }));
  if (queued.length) await db(OUTBOX_TABLE).insert(queued);
  return queued.length;
}

interface OutboxRow {
  id: string | number;
  client_id: string;
  account_id: string;
  sid: string | null;
  attempts: number;
}

/**
 * Claims up to `limit` due rows for `leaseMs`: one statement, `for update skip locked`, so two nodes
 * never claim the same row; a node that dies holding one leaves it to be claimed again when the lease
 * runs out. Due times are the database's clock, the one every node shares.
 */
export async function claimDueLogouts(
  db: Database,
  limit: number,
  leaseMs: number,
): Promise<ClaimedLogout[]> {
  if (limit <= 0) return [];
  const { rows } = (await db.raw(
    `update ${OUTBOX_TABLE} set attempts = attempts + 1,
       next_attempt_at = now() + (? * interval '1 millisecond')
     where id in (
       select id from ${OUTBOX_TABLE} where next_attempt_at <= now()
       order by next_attempt_at limit ? for update skip locked)
     returning id, client_id, account_id, sid, attempts`,
    [leaseMs, limit],
  )) as { rows: OutboxRow[] };
  return rows.map((row) => ({
    id: String(row.id),
    clientId: row.client_id,
    accountId: row.account_id,
    sid: row.sid,
    attempts: row.attempts,
  }));
}

type Outcome = 'delivered' | 'failed' | 'retried';

async function count(trx: Executor, clientId: string, outcome: Outcome): Promise<void> {
  await trx(COUNTS_TABLE)
    .insert({ client_id: clientId, [outcome]: 1 })
    .onConflict('client_id')
    .merge({ [outcome]: trx.raw(`${COUNTS_TABLE}.${outcome} + 1`), updated_at: trx.fn.now() });
}

/**
 * Settles a claimed row, compare-and-set on its attempt: delivered or failed for good, it leaves the
 * outbox and is counted; failed with retries left, it is due again after `retryAfterMs`. A row another
 * node reclaimed meanwhile (its lease ran out) is that node's to settle: false, nothing changes.
 */
export async function settleLogout(
  db: Database,
  row: ClaimedLogout,
  result: { outcome: 'delivered' | 'failed' } | { outcome: 'retry'; retryAfterMs: number; error: string },
): Promise<boolean> {
  return db.transaction(async (trx) => {
    const mine = trx(OUTBOX_TABLE).where({ id: row.id, attempts: row.attempts });
    const changed =
      result.outcome === 'retry'
        ? await mine.update({
            next_attempt_at: trx.raw(`now() + (? * interval '1 millisecond')`, [result.retryAfterMs]),
            last_error: result.error.slice(0, 255),
          })
        : await mine.delete();
    if (changed === 0) return false;
    await count(trx, row.clientId, result.outcome === 'retry' ? 'retried' : result.outcome);
    return true;
  });
}

/** Per client: deliveries that succeeded, failed after every retry, attempts retried, rows pending. */
export interface LogoutCounts {
  clientId: string;
  delivered: number;
  failed: number;
  retried: number;
  pending: number;
}

/** Every client with a count or a pending row, by client id. */
export async function logoutCounts(db: Database): Promise<LogoutCounts[]> {
  const [settled, pending] = await Promise.all([
    db(COUNTS_TABLE).select('client_id', 'delivered', 'failed', 'retried') as Promise<
      { client_id: string; delivered: string | number; failed: string | number; retried: string | number }[]
    >,
    db(OUTBOX_TABLE).select('client_id').count({ pending: '*' }).groupBy('client_id') as unknown as Promise<
      { client_id: string; pending: string | number }[]
    >,
  ]);
  const byClient = new Map<string, LogoutCounts>();
  const entry = (clientId: string): LogoutCounts => {
    let found = byClient.get(clientId);
    if (!found) {
      found = { clientId, delivered: 0, failed: 0, retried: 0, pending: 0 };
      byClient.set(clientId, found);
    }
    return found;
  };
  for (const row of settled)
    Object.assign(entry(row.client_id), {
      delivered: Number(row.delivered),
      failed: Number(row.failed),
      retried: Number(row.retried),
    });
  for (const row of pending) entry(row.client_id).pending = Number(row.pending);
  return [...byClient.values()].sort((a, b) => a.clientId.localeCompare(b.clientId));
}
