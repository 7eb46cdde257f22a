/**
 * The resource owner password credentials grant (RFC 6749 §4.3) as an oidc-provider extension grant.
 * The library has authenticated the client and checked that it lists this grant before this runs.
 */
import { errors, type KoaContextWithOIDC, type Provider } from 'oidc-provider';
import { MAX_USERNAME_LENGTH } from '../../accounts/otp';
import type { AccountStore } from '../../accounts/store';
import { grantedScopes, issueTokensForAccount } from './issue';
import { requireParams } from './params';

export const grantType = 'password';

export const parameters = ['username', 'password', 'scope'];

export function createHandler(provider: Provider, accounts: AccountStore, scopes: ReadonlySet<string>) {
  return async function passwordGrantHandler(ctx: KoaContextWithOIDC): Promise<void> {
    const { username, password } = requireParams(ctx, ['username', 'password']);
    // No account has a longer name; refused before the lockout table would be asked to store it.
    if (username.trim().length > MAX_USERNAME_LENGTH)
      throw new errors.InvalidGrant('authentication failed (invalid_credentials)');
    const result = await accounts.authenticate(username, password);
    if (!result.ok) {
      // One answer for unknown user, wrong password, locked and disabled (no user enumeration);
      // the reason goes to the provider's events, not to the client.
      throw new errors.InvalidGrant(`authentication failed (${result.reason})`);
    }
    await issueTokensForAccount(ctx, provider, result.account, {
      gty: grantType,
      amr: ['pwd'],
      scopes: grantedScopes(ctx, scopes),
    });
  };
}
