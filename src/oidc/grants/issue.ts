/**
 * The shared issuing step of Gatehouse's extension grants (password, one-time code), with the
 * provider's models as its docs say to ("Custom Grant Types": instantiate and issue tokens as
 * lib/actions/grants does), in the order its own grants use: Grant, access token, refresh token, ID
 * token, token response. What the models' typings do not cover (the ID token's scope, the response's
 * shape) is the library's own code, through ../internals.ts.
 */
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { Account } from '../../accounts/store';
import { ACCOUNT_SCOPE, ADMIN_SCOPE, mayGrantAccountScope, mayGrantAdminScope } from '../../clients/scope';
import type { SignInMethods } from '../../accounts/mfa/methods';
import { accountClaims } from '../claims';
import { cameThroughDjangoPaths } from '../django-paths';
import { issueIdToken, tokenResponse } from '../internals';
import { PASSWORD_GRANT } from './names';

/**
 * The scopes to grant: what was asked (or, when `scope` is omitted, the client's registered scope:
 * RFC 6749 §3.3 lets the server apply a pre-defined default), cut to what the client may have and
 * what the provider knows.
 */
export function grantedScopes(
  ctx: KoaContextWithOIDC,
  supported: ReadonlySet<string>,
  account: Pick<Account, 'roles'>,
): string[] {
  const client = ctx.oidc.client!;
  const allowed = client.scope ? new Set(client.scope.split(' ')) : null;
  const requested =
    typeof ctx.oidc.params?.scope === 'string' ? ctx.oidc.params.scope : (client.scope ?? 'openid');
  // The admin scope only for an account with the admin role (no consent here: the client asks).
  const admin = mayGrantAdminScope(account, { consent: false, firstParty: false });
  // The account scope only through a first-party client (mayGrantAccountScope).
  const accountScope = mayGrantAccountScope({ firstParty: client.metadata().first_party === true });
  return [...new Set(requested.split(' ').filter(Boolean))].filter(
    (scope) =>
      (!allowed || allowed.has(scope)) &&
      supported.has(scope) &&
      (scope !== ADMIN_SCOPE || admin) &&
      (scope !== ACCOUNT_SCOPE || accountScope),
  );
}

export async function issueTokensForAccount(
  ctx: KoaContextWithOIDC,
  provider: Provider,
  account: Account,
  options: { gty: string; signIn: SignInMethods; scopes: string[] },
): Promise<void> {
  const { amr, acr } = options.signIn;
  const client = ctx.oidc.client!;
  const authTime = Math.floor(Date.now() / 1000);
  const scope = options.scopes.join(' ');

  const grant = new provider.Grant({ accountId: account.id, clientId: client.clientId });
  if (scope) grant.addOIDCScope(scope);
  const grantId = await grant.save();
  ctx.oidc.entity('Grant', grant);

  const at = new provider.AccessToken({
    accountId: account.id,
    client,
    grantId,
    gty: options.gty,
    scope,
    // How the account signed in, for introspection and the API (extraTokenClaims keeps it).
    extra: { amr, acr },
  });
  ctx.oidc.entity('AccessToken', at);
  const accessToken = await at.save();

  // A refresh token for offline access; through django-oauth-toolkit's /o/token/ also without it,
  // as DOT issues one with every password grant (its clients change only their URL).
  const refreshable =
    options.scopes.includes('offline_access') ||
    (options.gty === PASSWORD_GRANT && cameThroughDjangoPaths(ctx));
  let refreshToken: string | undefined;
  if (refreshable && client.grantTypeAllowed('refresh_token')) {
    const rt = new provider.RefreshToken({
      accountId: account.id,
      acr,
      amr,
      authTime,
      client,
      grantId,
      gty: options.gty,
      rotations: 0,
      scope,
    });
    ctx.oidc.entity('RefreshToken', rt);
    refreshToken = await rt.save();
  }

  // The ID token carries the claims of every granted OIDC scope (the library's own grants leave them
  // to userinfo under conformIdTokenClaims), with acr, amr and auth_time (OIDC Core §2).
  const idToken = options.scopes.includes('openid')
    ? await issueIdToken(provider, ctx, accountClaims(account), {
        scope: grant.getOIDCScopeFiltered(new Set(options.scopes)),
        amr,
        acr,
        authTime,
      })
    : undefined;

  ctx.body = tokenResponse(provider, {
    accessToken,
    expiresIn: at.expiration,
    idToken,
    refreshToken,
    scope: at.scope || undefined,
    tokenType: at.tokenType,
  });
}
