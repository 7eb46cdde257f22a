/**
 * `gatehouse-account`: the account pages as a first-party client of Gatehouse's own provider. The
 * pages need the person's provider session, not tokens, so the client asks for `response_type=none`
 * (OAuth 2.0 Multiple Response Type Encoding Practices §4: the authorization server answers with
 * `state` alone, and no token or code is ever issued) and holds no secret, since it never calls the
 * token endpoint. A static client of the provider (its `clients` option), built from the issuer, so
 * its redirect URI is right in every deployment; a static client shadows a stored one of the same id.
 */
import type { ClientMetadata } from 'oidc-provider';
import { SIGN_UP_VERIFY_PATH } from '../../accounts/registration';
import { ACCOUNT_SCOPE } from '../../clients/scope';

/** Reserved in the client registry (RESERVED_CLIENT_IDS): no stored client may take it. */
export const ACCOUNT_CLIENT_ID = 'gatehouse-account';

/** The paths of the account pages; the sign-in state cookie is scoped to the first segment. */
export const ACCOUNT_PATHS = {
  /** The overview: profile, password, connected apps, sessions, and the way to /account/mfa. */
  root: '/account',
  profile: '/account/profile',
  password: '/account/password',
  revokeConsent: '/account/consents/:clientId/revoke',
  revokeSession: '/account/sessions/:id/revoke',
  /** Without a session: a forgotten password, its reset link, a verification link, sign-up. */
  forgot: '/account/forgot',
  reset: '/account/reset',
  verify: '/account/verify',
  register: '/account/register',
  /** The sign-up link: opening it creates the account (accounts/registration.ts). */
  registerVerify: SIGN_UP_VERIFY_PATH,
  invitation: '/account/invitation',
  mfa: '/account/mfa',
  callback: '/account/callback',
  startTotp: '/account/mfa/totp',
  confirmTotp: '/account/mfa/totp/verify',
  removeTotp: '/account/mfa/totp/remove',
  recoveryCodes: '/account/mfa/recovery-codes',
  removePasskey: '/account/mfa/passkeys/:id/remove',
  /** Helper E's passkey registration (options, then the attestation) starts here. */
  passkeyOptions: '/account/mfa/passkeys/options',
} as const;

/** What the pages ask for: who is signed in, and the scope of managing one's own sign-in. */
export const ACCOUNT_REQUEST_SCOPE = `openid ${ACCOUNT_SCOPE}`;

export function accountRedirectUri(issuer: string): string {
  return `${issuer}${ACCOUNT_PATHS.callback}`;
}

/** The client's metadata (RFC 7591 §2 names; `first_party` is Gatehouse's own). */
export function accountClient(issuer: string): ClientMetadata {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Gatehouse account',
    first_party: true,
    redirect_uris: [accountRedirectUri(issuer)],
    response_types: ['none'],
    grant_types: [],
    token_endpoint_auth_method: 'none',
    scope: ACCOUNT_REQUEST_SCOPE,
  };
}
