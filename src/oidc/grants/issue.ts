/**
 * The shared issuing step of Gatehouse's extension grants (password, one-time code): the same order
 * oidc-provider's own grants use (lib/helpers/grant_common.js): Grant, access token, refresh token,
 * ID token, token response.
 */
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { Account } from '../../accounts/store';
import { ADMIN_SCOPE, mayGrantAdminScope } from '../../clients/scope';
import { accountClaims } from '../claims';

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
  return [...new Set(requested.split(' ').filter(Boolean))].filter(
    (scope) => (!allowed || allowed.has(scope)) && supported.has(scope) && (scope !== ADMIN_SCOPE || admin),
  );
}

export async function issueTokensForAccount(
  ctx: KoaContextWithOIDC,
  provider: Provider,
  account: Account,
  options: { gty: string; amr: string[]; scopes: string[] },
): Promise<void> {
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
  });
  ctx.oidc.entity('AccessToken', at);
  const accessToken = await at.save();

  let refreshToken: string | undefined;
  if (options.scopes.includes('offline_access') && client.grantTypeAllowed('refresh_token')) {
    const rt = new provider.RefreshToken({
      accountId: account.id,
      amr: options.amr,
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

  let idToken: string | undefined;
  if (options.scopes.includes('openid')) {
    const token = new provider.IdToken(accountClaims(account), { ctx }) as InstanceType<
      Provider['IdToken']
    > & { scope: string };
    token.scope = grant.getOIDCScopeFiltered(new Set(options.scopes));
    // Not scope claims: set outright, as the library sets nonce and sid (OIDC Core §2).
    token.set('amr', options.amr);
    token.set('auth_time', authTime);
    idToken = (await token.issue({ use: 'idtoken' })) as string;
  }

  ctx.body = {
    access_token: accessToken,
    expires_in: at.expiration,
    ...(idToken ? { id_token: idToken } : {}),
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
    scope: at.scope || undefined,
    token_type: 'Bearer',
  };
}
