/**
 * An account's provider sessions as the account API and page list them, and signing one out. A
 * session is a `Session` row of oidc_payloads (payloads.ts): its `uid` is stable for its life (the
 * row's id, the cookie's value, changes at every sign-in: lib/models/session.js resetIdentifier), so
 * the uid names it here and never the id. Its payload's `authorizations` hold, per client, the
 * grant the session's sign-ins created. `session_activity` (migration 20261203000100) adds when it
 * was first and last seen and with which user agent (session-activity.ts records it).
 *
 * Nothing here imports oidc-provider: the statements are the adapter's table's, like payloads.ts.
 */
import { recordAudit } from '../audit/record';
import type { Database } from '../db/database';
import { isStorableText } from '../db/text';
import { logoutsOfSession, queueLogouts, type PendingLogout } from './backchannel-outbox';
import { PAYLOADS_TABLE, revokeAccountState } from './payloads';

export const SESSION_ACTIVITY_TABLE = 'session_activity';

export interface AccountSession {
  /** The provider session's `uid` (stable for its life). Never the session id / cookie value. */
  id: string;
  createdAt: Date;
  lastSeenAt: Date;
  userAgent: string | null;
  /** The clients signed in through this session (its `authorizations`). */
  clientIds: string[];
}

/** What a Session payload holds that this module reads (lib/models/session.js IN_PAYLOAD). */
interface SessionPayload {
  loginTs?: number;
  authorizations?: Record<string, { grantId?: unknown; sid?: unknown } | undefined>;
}

interface SessionRow {
  uid: string;
  payload: SessionPayload | string;
  created_at: Date | null;
  last_seen_at: Date | null;
  user_agent: string | null;
}

function payloadOf(row: { payload: SessionPayload | string }): SessionPayload {
  return typeof row.payload === 'string' ? (JSON.parse(row.payload) as SessionPayload) : row.payload;
}

/** The grants a session's sign-ins created, one per client at most. */
function grantIdsOf(payload: SessionPayload): string[] {
  const ids = Object.values(payload.authorizations ?? {}).map((authorization) => authorization?.grantId);
  return [...new Set(ids.filter((id): id is string => typeof id === 'string' && id !== ''))];
}

function toSession(row: SessionRow): AccountSession {
  const payload = payloadOf(row);
  // A session signed in before activity was recorded (or whose row the purge took) has only its
  // sign-in time: it stands for both.
  const loginAt = new Date((payload.loginTs ?? 0) * 1000);
  return {
    id: row.uid,
    createdAt: row.created_at ?? loginAt,
    lastSeenAt: row.last_seen_at ?? loginAt,
    userAgent: row.user_agent,
    // jsonb keeps no key order: sorted, so that a list reads the same every time.
    clientIds: Object.keys(payload.authorizations ?? {}).sort(),
  };
}

export class AccountSessions {
  constructor(private readonly db: Database) {}

  /** The account's live sessions, newest lastSeenAt first. One indexed look-up by account_id. */
  async list(accountId: string): Promise<AccountSession[]> {
    const rows: SessionRow[] = await this.db(`${PAYLOADS_TABLE} as p`)
      .leftJoin(`${SESSION_ACTIVITY_TABLE} as a`, 'a.session_uid', 'p.uid')
      .select('p.uid', 'p.payload', 'a.created_at', 'a.last_seen_at', 'a.user_agent')
      .where('p.account_id', accountId)
      .andWhere('p.model', 'Session')
      .whereNotNull('p.uid')
      // Unexpired rows only, as the adapter returns them.
      .andWhere((q) => q.whereNull('p.expires_at').orWhere('p.expires_at', '>', new Date()));
    return rows
      .map(toSession)
      .sort((a, b) => b.lastSeenAt.getTime() - a.lastSeenAt.getTime() || a.id.localeCompare(b.id));
  }

  /**
   * Signs the session out and revokes its grants' tokens, in one transaction. The session row is
   * taken by one `delete … returning`: of two racing revokes one deletes it and the other finds
   * nothing (false). Another account's session is as unknown as a made-up id. The logout tokens its
   * clients are owed (Back-Channel Logout 1.0 §2.7) are queued in the same transaction.
   */
  async revoke(accountId: string, id: string): Promise<boolean> {
    if (!isStorableText(id) || id.length > 255) return false;
    return this.db.transaction(async (trx) => {
      const deleted: { payload: SessionPayload | string; uid: string }[] = await trx(PAYLOADS_TABLE)
        .where({ model: 'Session', uid: id, account_id: accountId })
        .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', new Date()))
        .delete()
        .returning(['payload', 'uid']);
      if (deleted.length === 0) return false;
      await recordSessionsEnded(trx, accountId, deleted, 'signed_out');
      await queueLogouts(
        trx,
        deleted.flatMap((row) => logoutsOfSession(accountId, payloadOf(row))),
      );
      const grantIds = [...new Set(deleted.flatMap((row) => grantIdsOf(payloadOf(row))))];
      if (grantIds.length) await deleteGrants(trx, accountId, grantIds);
      await trx(SESSION_ACTIVITY_TABLE).where('session_uid', id).delete();
      return true;
    });
  }
}

/**
 * The grants and every row issued under them (access and refresh tokens, codes: their `grant_id`).
 * Limited to the account's rows, so the look-up is its account_id index, and a grant id in a
 * session cannot reach another account's tokens.
 */
async function deleteGrants(trx: Database, accountId: string, grantIds: string[]): Promise<void> {
  await trx(PAYLOADS_TABLE)
    .where('account_id', accountId)
    .andWhere((q) =>
      q.where((g) => g.where('model', 'Grant').whereIn('id', grantIds)).orWhereIn('grant_id', grantIds),
    )
    .delete();
}

/**
 * Deletes an account's sessions (all but `keepUid`) and queues the logout tokens their clients are
 * owed, in the caller's transaction: one `delete … returning`, so a session is ended, and its logouts
 * queued, once. Returns how many sessions it ended.
 */
async function endSessions(
  trx: Database,
  accountId: string,
  reason: SessionEndReason,
  keepUid?: string,
  onlyIds?: string[],
): Promise<number> {
  const query = trx(PAYLOADS_TABLE).where({ model: 'Session', account_id: accountId });
  if (keepUid) query.whereRaw('uid is distinct from ?', [keepUid]);
  if (onlyIds) query.whereIn('id', onlyIds);
  const deleted: { payload: SessionPayload | string; expires_at: Date | null; uid: string | null }[] =
    await query.delete().returning(['payload', 'expires_at', 'uid']);
  // A session already expired owes nothing (and is not ended now): it ended when it expired.
  const now = Date.now();
  const live = deleted.filter((row) => !row.expires_at || new Date(row.expires_at).getTime() > now);
  const logouts: PendingLogout[] = live.flatMap((row) => logoutsOfSession(accountId, payloadOf(row)));
  await queueLogouts(trx, logouts);
  await recordSessionsEnded(trx, accountId, live, reason);
  return deleted.length;
}

/**
 * Why a session ended (session.ended's data.reason): `logout` (RP-initiated, or POST /api/logout),
 * `signed_out` (on the account page or API), `password_changed` (the account's other sessions),
 * `account_revoked` (a reset or administrator's password, a disabled or deleted account, second
 * factors reset: that change's own event stands beside it, under the same request id).
 */
export type SessionEndReason = 'logout' | 'signed_out' | 'password_changed' | 'account_revoked';

/**
 * One session.ended per session, in the transaction that deleted it; the target is the session's
 * uid (stable for its life; never its id, the cookie's value).
 */
export async function recordSessionsEnded(
  trx: Database,
  accountId: string,
  sessions: { payload: SessionPayload | string; uid: string | null }[],
  reason: SessionEndReason,
): Promise<void> {
  for (const session of sessions)
    await recordAudit(trx, {
      type: 'session.ended',
      target: { type: 'session', id: session.uid ?? accountId },
      data: {
        reason,
        account_id: accountId,
        client_ids: Object.keys(payloadOf(session).authorizations ?? {}).sort(),
      },
    });
}

/**
 * Ends some sessions of an account (their ids: POST /api/logout ends those its client is in) and
 * queues the logout tokens their clients are owed, in one transaction (Back-Channel Logout 1.0).
 */
export async function endSessionsWithLogout(db: Database, accountId: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  return db.transaction((trx) => endSessions(trx, accountId, 'logout', undefined, ids));
}

/**
 * Deletes every session, grant and token of an account (payloads.ts revokeAccountState: a changed or
 * reset password, a disabled or deleted account, second factors reset), after ending its sessions
 * with their logout tokens queued (Back-Channel Logout 1.0). Runs in the caller's transaction.
 */
export async function revokeAccountStateWithLogout(trx: Database, accountId: string): Promise<number> {
  const sessions = await endSessions(trx, accountId, 'account_revoked');
  return sessions + (await revokeAccountState(trx, accountId));
}

/**
 * Deletes every session, grant and token of an account except one session (its uid) and one grant
 * (with its tokens): what a password change ends while the person who changed it stays signed in
 * (the account page's session, the API caller's token). The sessions that go are ended first, with
 * their logout tokens queued; their activity rows go with them. Runs in the caller's transaction.
 */
export async function revokeAccountStateExcept(
  trx: Database,
  accountId: string,
  keep: { sessionUid?: string; grantId?: string },
): Promise<number> {
  const { sessionUid, grantId } = keep;
  const sessions = await endSessions(trx, accountId, 'password_changed', sessionUid);
  const query = trx(PAYLOADS_TABLE).where('account_id', accountId);
  if (sessionUid) query.whereNot((q) => q.where('model', 'Session').andWhere('uid', sessionUid));
  if (grantId) {
    query.whereNot((q) => q.where('model', 'Grant').andWhere('id', grantId));
    // grant_id is null on sessions and grants: "is distinct from", so that null rows are not spared.
    query.whereRaw('grant_id is distinct from ?', [grantId]);
  }
  const deleted = sessions + (await query.delete());
  const activity = trx(SESSION_ACTIVITY_TABLE).where('account_id', accountId);
  if (sessionUid) activity.whereNot('session_uid', sessionUid);
  await activity.delete();
  return deleted;
}

/**
 * A session row is replaced at every sign-in (its id changes, its uid stays: the old row is deleted
 * before the new one is written), so for an instant a live session has no row. Activity this recent
 * is never taken for an orphan.
 */
const ORPHAN_AFTER_MS = 10 * 60_000;

/**
 * The purge's batch (jobs/purge.ts): activity rows whose session is gone (signed out, expired and
 * purged, revoked). The session look-up is the (model, uid) unique index.
 */
export async function deleteOrphanedActivityBatch(trx: Database, batchSize: number): Promise<number> {
  return trx(SESSION_ACTIVITY_TABLE)
    .whereIn(
      'session_uid',
      trx(`${SESSION_ACTIVITY_TABLE} as a`)
        .select('a.session_uid')
        .where('a.last_seen_at', '<', new Date(Date.now() - ORPHAN_AFTER_MS))
        .whereNotExists(
          trx(PAYLOADS_TABLE).select(trx.raw('1')).where('model', 'Session').whereRaw('uid = a.session_uid'),
        )
        .limit(batchSize),
    )
    .delete();
}
