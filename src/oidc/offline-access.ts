/**
 * Refresh tokens for a consent given earlier to offline access (OpenID Connect Core §11).
 *
 * §11: "When offline access is requested, a prompt parameter value of consent MUST be used unless
 * other conditions for processing the request permitting offline access to the requested resources
 * are in place." oidc-provider keeps to the first half: it removes `offline_access` from every
 * authorization request without prompt=consent (lib/actions/authorization/scopes.js checkScope), so
 * the code carries no offline_access and its default `issueRefreshToken` answers no. Gatehouse's
 * other condition is a consent given earlier for offline access: the Grant behind the code holds
 * `offline_access`, which it does only when the person allowed it on a consent page (then remembered
 * per account and client, accounts/consents.ts, and put back into each new Grant by
 * loadExistingGrant) or a first-party client asked for it with prompt=consent. Revoking the consent
 * deletes those Grants, so this ends with it.
 *
 * The library's maintainer points hosts at `issueRefreshToken` for exactly this
 * (panva/node-oidc-provider#419, #777). `expiresWithSession` goes with it: a refresh token for
 * offline access must outlive the browser session, as the library's default grants one whose code
 * carries offline_access.
 *
 * Since the request's own offline_access is gone by the time the code is made, a client that was
 * allowed offline access gets a refresh token at each code exchange, whether this request asked
 * again or not; the token response's `scope` then does not list offline_access.
 */
import type { AccessToken, Client, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { cameThroughDjangoPaths } from './django-paths';

const OFFLINE_ACCESS = 'offline_access';

type RefreshSource = Parameters<NonNullable<Configuration['issueRefreshToken']>>[2];
type SessionBoundSource = Parameters<NonNullable<Configuration['expiresWithSession']>>[1];

/** The Grant of this request (the authorization endpoint's, or the code's at the token endpoint). */
function grantAllowsOfflineAccess(ctx: KoaContextWithOIDC): boolean {
  return ctx.oidc.entities.Grant?.getOIDCScope().split(' ').includes(OFFLINE_ACCESS) ?? false;
}

/**
 * The library's default, plus an authorization code whose Grant was allowed offline access, or one
 * redeemed through django-oauth-toolkit's /o/token/ (django-paths.ts). DOT issues a refresh token
 * with every authorization-code grant; through /o/ Gatehouse does the same for a client registered
 * for refresh_token, so DOT's clients change only their URL. The "other condition" of §11 is then
 * that registration, made by the operator who moved the client.
 */
export async function issueRefreshToken(
  ctx: KoaContextWithOIDC,
  client: Client,
  source: RefreshSource,
): Promise<boolean> {
  if (!client.grantTypeAllowed('refresh_token')) return false;
  if (source.scopes.has(OFFLINE_ACCESS)) return true;
  return (
    source.kind === 'AuthorizationCode' && (grantAllowsOfflineAccess(ctx) || cameThroughDjangoPaths(ctx))
  );
}

/**
 * The library's default (bound to the session unless offline_access is in the source's scope),
 * except for a code that issueRefreshToken will answer with a refresh token: not bound, so signing
 * out does not end what the person allowed to outlive it.
 */
export async function expiresWithSession(
  ctx: KoaContextWithOIDC,
  source: SessionBoundSource | AccessToken,
): Promise<boolean> {
  if (source.scopes.has(OFFLINE_ACCESS)) return false;
  // A code asked for through /o/authorize/ is not bound either: DOT's refresh tokens outlive any
  // browser session.
  const offline =
    source.kind === 'AuthorizationCode' &&
    ctx.oidc.client?.grantTypeAllowed('refresh_token') === true &&
    (grantAllowsOfflineAccess(ctx) || cameThroughDjangoPaths(ctx));
  return !offline;
}
