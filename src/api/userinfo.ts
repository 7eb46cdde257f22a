/**
 * GET /api/userinfo: the claims the provider's own userinfo endpoint (/me) releases for the same
 * token, built by the library's own claims mask as its userinfo builds them (oidc/internals.ts
 * userinfoClaims): the token must carry `openid` (the route's scope); the scopes the grant holds pick
 * the claims through the provider's claims configuration, minus the claims the grant rejected;
 * undefined values are left out.
 */
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import { accountClaims } from '../oidc/claims';
import { userinfoClaims } from '../oidc/internals';
import { authOf } from './bearer';

export function getUserinfo({ provider }: { provider: Provider }) {
  return async function getUserinfo(ctx: Context): Promise<void> {
    const { account, client, grant, token } = authOf(ctx);
    const claims = { ...accountClaims(account), sub: account.id };
    ctx.body = await userinfoClaims(provider, { claims, client, grant, scope: token.scope });
  };
}
