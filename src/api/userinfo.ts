/**
 * GET /api/userinfo: the claims the provider's own userinfo endpoint (/me) releases for the same
 * token, built the way it builds them (oidc-provider lib/actions/userinfo.js): the token must carry
 * `openid`; the scopes the grant holds pick the claims through the provider's claims configuration,
 * minus the claims the grant rejected; undefined values are left out.
 */
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import { accountClaims } from '../oidc/claims';
import { authOf } from './bearer';
import type { ApiDeps } from './deps';

interface ClaimsMask {
  scope(value: string): ClaimsMask;
  rejected(claims: string[]): void;
  result(): Promise<Record<string, unknown>>;
}

type ClaimsClass = new (available: Record<string, unknown>, options: { client: unknown }) => ClaimsMask;

export function getUserinfo({ provider }: ApiDeps) {
  const Claims = (provider as Provider & { Claims: ClaimsClass }).Claims;
  return async function getUserinfo(ctx: Context): Promise<void> {
    const { account, client, grant, token } = authOf(ctx);
    const scope = grant.getOIDCScopeFiltered(new Set((token.scope ?? '').split(' ')));
    const mask = new Claims({ ...accountClaims(account), sub: account.id }, { client });
    mask.scope(scope);
    mask.rejected(grant.getRejectedOIDCClaims());
    ctx.body = await mask.result();
  };
}
