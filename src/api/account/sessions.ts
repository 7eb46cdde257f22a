/**
 * /api/account/sessions: the caller's provider sessions (the browsers signed in), and signing one
 * out, which revokes the grants its sign-ins created (their access and refresh tokens) in the same
 * transaction (oidc/sessions.ts). `current` marks the session the caller's token was issued
 * through (the access token's `sessionUid`).
 */
import type { Context } from 'koa';
import type { z } from 'zod';
import { notFound } from '../../errors';
import type { AccountSession, AccountSessions } from '../../oidc/sessions';
import { authOf } from '../bearer';
import type { sessionResponse } from './schemas';

function sessionView(session: AccountSession, currentUid: unknown): z.infer<typeof sessionResponse> {
  return {
    id: session.id,
    created_at: session.createdAt.toISOString(),
    last_seen_at: session.lastSeenAt.toISOString(),
    user_agent: session.userAgent,
    client_ids: session.clientIds,
    current: session.id === currentUid,
  };
}

export function listSessions({ sessions }: { sessions: Pick<AccountSessions, 'list'> }) {
  return async function listSessions(ctx: Context): Promise<void> {
    const { account, token } = authOf(ctx);
    const list = await sessions.list(account.id);
    ctx.body = list.map((session) => sessionView(session, token.sessionUid));
  };
}

/** Another account's session id is as unknown as a made-up one. */
export function revokeSession({ sessions }: { sessions: Pick<AccountSessions, 'revoke'> }) {
  return async function revokeSession(ctx: Context): Promise<void> {
    if (!(await sessions.revoke(authOf(ctx).account.id, String(ctx.params.id))))
      throw notFound('no such session');
    ctx.status = 204;
  };
}
