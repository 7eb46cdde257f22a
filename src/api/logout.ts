/**
 * POST /api/logout: revokes the grant behind the caller's token, with every access token, refresh
 * token and authorization code issued under it (as oidc-provider lib/helpers/revoke.js does for a
 * revoked refresh token), and ends the account's sessions that include that client.
 */
import type { Context } from 'koa';
import { authOf } from './bearer';
import type { ApiDeps } from './deps';
import { endSessionsForClient } from './sessions';

export function logout({ provider, services }: ApiDeps) {
  return async function logout(ctx: Context): Promise<void> {
    const { grant, token, account, client } = authOf(ctx);
    const grantId = token.grantId!;
    await Promise.all([
      provider.AccessToken.revokeByGrantId(grantId),
      provider.RefreshToken.revokeByGrantId(grantId),
      provider.AuthorizationCode.revokeByGrantId(grantId),
      grant.destroy(),
    ]);
    await endSessionsForClient(provider, services.db, account.id, client.clientId);
    services.logger.info({ accountId: account.id, clientId: client.clientId, grantId }, 'api logout');
    ctx.status = 204;
  };
}
