/**
 * Records when a signed-in provider session was last seen, and with which user agent, for the
 * account's session list (sessions.ts). A provider middleware: after the library answered a route
 * that loads the session (the authorization endpoint and its resume after a login), the session's
 * uid, account and user agent are upserted into session_activity.
 *
 * Cheap on the hot path: one statement, and the conflict update only writes when the row was last
 * seen more than ACTIVITY_RESOLUTION_MS ago, so a burst of authorization requests changes one row
 * once. Its failure never changes the answer the library gave (the person's sign-in is done; a stale
 * "last seen" is all that is lost): it is logged at warn, except a database outage, which the
 * reachability watch (db/unavailable.ts) already logs once per transition.
 */
import type { Context, Next } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Database } from '../db/database';
import { isStorableText } from '../db/text';
import { isDatabaseUnavailable } from '../db/unavailable';
import type { Logger } from '../log';
import { SESSION_ACTIVITY_TABLE } from './sessions';

/** The routes whose answer carries a signed-in session (lib/shared/session.js loads it for them). */
export const ACTIVITY_ROUTES: ReadonlySet<string> = new Set(['authorization', 'resume']);

/** "Last seen" is kept to this resolution; a session seen again within it is not written. */
export const ACTIVITY_RESOLUTION_MS = 60_000;

/** The column's length (migration 20261203000100), in characters as PostgreSQL counts them. */
export const MAX_USER_AGENT_LENGTH = 512;

/** The header cut to the column, by code points (no half of a surrogate pair), or null. */
export function storableUserAgent(header: string | undefined): string | null {
  if (!header) return null;
  const cut = [...header].slice(0, MAX_USER_AGENT_LENGTH).join('');
  return isStorableText(cut) ? cut : null;
}

const UPSERT = `insert into ${SESSION_ACTIVITY_TABLE} as s
    (session_uid, account_id, user_agent, created_at, last_seen_at)
  values (?, ?, ?, ?, ?)
  on conflict (session_uid) do update set last_seen_at = excluded.last_seen_at,
    user_agent = coalesce(excluded.user_agent, s.user_agent)
  where s.last_seen_at < ?`;

export async function recordActivity(
  db: Database,
  activity: { sessionUid: string; accountId: string; userAgent: string | null },
  now = new Date(),
): Promise<void> {
  await db.raw(UPSERT, [
    activity.sessionUid,
    activity.accountId,
    activity.userAgent,
    now,
    now,
    new Date(now.getTime() - ACTIVITY_RESOLUTION_MS),
  ]);
}

export function recordSessionActivity(deps: { db: Database; logger: Logger }) {
  return async function recordSessionActivity(ctx: Context, next: Next): Promise<void> {
    await next();
    const { oidc } = ctx as Context & { oidc?: KoaContextWithOIDC['oidc'] };
    if (!oidc?.route || !ACTIVITY_ROUTES.has(oidc.route)) return;
    const session = oidc.session as (typeof oidc.session & { destroyed?: boolean }) | undefined;
    if (!session?.accountId || !session.uid || session.destroyed) return;
    try {
      await recordActivity(deps.db, {
        sessionUid: session.uid,
        accountId: session.accountId,
        userAgent: storableUserAgent(ctx.get('user-agent')),
      });
    } catch (err) {
      if (!isDatabaseUnavailable(err)) deps.logger.warn({ err }, 'session activity not recorded');
    }
  };
}
