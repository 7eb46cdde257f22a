/**
 * POST /api/logout: revokes the grant behind the caller's token, with every access token, refresh
 * token and authorization code issued under it (as oidc-provider lib/helpers/revoke.js does for a
 * revoked refresh token), and ends the account's sessions that include that client: each is destroyed
 * through the Session model's adapter (the user signs in again before that client gets new tokens), as
 * RP-initiated logout does (lib/actions/end_session.js).
 */
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import type { Database } from '../db/database';
import type { Logger } from '../log';
import { findSessionIdsWithClient } from '../oidc/payloads';
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
    await Promise.all(sessions.map((id) => provider.Session.adapter.destroy(id)));
    logger.info({ accountId: account.id, clientId: client.clientId, grantId }, 'api logout');
    ctx.status = 204;
  };
}
