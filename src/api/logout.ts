/**
 * POST /api/logout: revokes the grant behind the caller's token, with every access token, refresh
 * token and authorization code issued under it (as oidc-provider lib/helpers/revoke.js does for a
 * revoked refresh token), and ends the account's sessions that include that client: each is destroyed
 * with the logout tokens its clients are owed queued (oidc/sessions.ts; the user signs in again before
 * that client gets new tokens), as RP-initiated logout does (lib/actions/end_session.js).
 */
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import type { Database } from '../db/database';
import type { Logger } from '../log';
import { findSessionIdsWithClient } from '../oidc/payloads';
import { endSessionsWithLogout } from '../oidc/sessions';
import { authOf } from './bearer';

export function logout({ provider, db, logger }: { provider: Provider; db: Database; logger: Logger }) {
  return async function logout(ctx: Context): Promise<void> {
    const { grant, token, account, client } = authOf(ctx);
    const grantId = token.grantId!;
    await Promise.all([
      provider.AccessToken.revokeByGrantId(grantId),
      provider.RefreshToken.revokeByGrantId(grantId),
      provider.AuthorizationCode.revokeByGrantId(grantId),
      grant.destroy(),
    ]);
    const sessions = await findSessionIdsWithClient(db, account.id, client.clientId);
    // Their other clients are told by back-channel logout, as after RP-initiated logout.
    await endSessionsWithLogout(db, account.id, sessions);
    logger.info({ accountId: account.id, clientId: client.clientId, grantId }, 'api logout');
    ctx.status = 204;
  };
}
