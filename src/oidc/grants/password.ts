/**
 * The resource owner password credentials grant (RFC 6749 §4.3) as an oidc-provider extension grant.
 * The library has authenticated the client and checked that it lists this grant before this runs.
 */
import { errors, type KoaContextWithOIDC, type Provider } from 'oidc-provider';
import type { AccountStore } from '../../accounts/store';
import { grantedScopes, issueTokensForAccount } from './issue';
import { PASSWORD_GRANT } from './names';
import { requireParams } from './params';
import { refuseOverTokenLimit, type GrantLimits } from './rate-limit';

export const grantType = PASSWORD_GRANT;

export const parameters = ['username', 'password', 'scope'];

export function createHandler(
  provider: Provider,
  accounts: AccountStore,
  scopes: ReadonlySet<string>,
  limits: GrantLimits,
) {
  return async function passwordGrantHandler(ctx: KoaContextWithOIDC): Promise<void> {
    await refuseOverTokenLimit(ctx, limits);
    const { username, password } = requireParams(ctx, ['username', 'password']);
    const result = await accounts.authenticate(username, password);
    if (!result.ok) {
      // One answer for unknown user, wrong password, locked and disabled (no user enumeration);
      // the reason goes to the provider's events, not to the client.
      throw new errors.InvalidGrant(`authentication failed (${result.reason})`);
    }
    await issueTokensForAccount(ctx, provider, result.account, {
      gty: grantType,
      amr: ['pwd'],
      scopes: grantedScopes(ctx, scopes, result.account),
    });
  };
}
