/**
 * `gatehouse-admin`: the admin console as a first-party client of Gatehouse's own provider, signing
 * in with the authorization code flow and PKCE (RFC 7636, S256) as a public client. Like
 * `gatehouse-account` it is a static client of the provider built from the issuer, so its redirect
 * URI is right in every deployment (a row written by a migration could not know the issuer), and its
 * id is reserved in the client registry.
 */
import type { ClientMetadata } from 'oidc-provider';

export const ADMIN_CLIENT_ID = 'gatehouse-admin';

/** The console's paths; its cookies are scoped to the first. */
export const CONSOLE_PATHS = {
  root: '/admin',
  callback: '/admin/callback',
  signOut: '/admin/sign-out',
} as const;

/** Who is signing in is all the console asks the provider; the admin role is checked per request. */
export const CONSOLE_SCOPE = 'openid';

export function consoleRedirectUri(issuer: string): string {
  return `${issuer}${CONSOLE_PATHS.callback}`;
}

export function adminClient(issuer: string): ClientMetadata {
  return {
    client_id: ADMIN_CLIENT_ID,
    client_name: 'Gatehouse admin console',
    first_party: true,
    redirect_uris: [consoleRedirectUri(issuer)],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'none',
    scope: CONSOLE_SCOPE,
  };
}
