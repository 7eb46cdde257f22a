/**
 * The figures the console's first page shows: what an operator looks at first. Read from the tables
 * themselves on each visit (no counter of this node's alone): accounts, live sessions, tokens issued
 * in the last hour (by their `iat`), failed sign-ins and lockouts in the last hour (the audit trail),
 * and expired rows the purge job has yet to remove.
 */
import type { Database } from '../../db/database';

export interface DashboardFigures {
  accounts: number;
  activeSessions: number;
  tokensLastHour: number;
  failedSignInsLastHour: number;
  lockoutsLastHour: number;
  expiredAwaitingPurge: number;
}

/** The token models whose rows are issued tokens (oidc/adapter.ts stores each under its model). */
const TOKEN_MODELS = ['AccessToken', 'ClientCredentials', 'RefreshToken'];

const count = (rows: unknown[]): number => Number((rows[0] as { count?: unknown } | undefined)?.count ?? 0);

export async function dashboardFigures(db: Database, now: Date = new Date()): Promise<DashboardFigures> {
  const hourAgo = new Date(now.getTime() - 3600_000);
  const sinceSeconds = Math.floor(hourAgo.getTime() / 1000);
  const [accounts, sessions, tokens, failed, lockouts, expired] = await Promise.all([
    db('accounts').count({ count: '*' }),
    db('oidc_payloads').where({ model: 'Session' }).where('expires_at', '>', now).count({ count: '*' }),
    db('oidc_payloads')
      .whereIn('model', TOKEN_MODELS)
      .whereRaw(`(payload->>'iat')::bigint >= ?`, [sinceSeconds])
      .count({ count: '*' }),
    db('audit_events')
      .where({ type: 'user.sign_in_failed' })
      .where('occurred_at', '>=', hourAgo)
      .count({ count: '*' }),
    db('audit_events')
      .where({ type: 'user.locked' })
      .where('occurred_at', '>=', hourAgo)
      .count({ count: '*' }),
    db('oidc_payloads').where('expires_at', '<', now).count({ count: '*' }),
  ]);
  return {
    accounts: count(accounts),
    activeSessions: count(sessions),
    tokensLastHour: count(tokens),
    failedSignInsLastHour: count(failed),
    lockoutsLastHour: count(lockouts),
    expiredAwaitingPurge: count(expired),
  };
}
