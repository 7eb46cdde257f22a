/**
 * The API's authentication and authorization errors, with the challenges RFC 6750 §3 and RFC 7617
 * ask for. One description per error: the answer never says why a token was refused (expired,
 * revoked, unknown, disabled account all look the same).
 */
import { GatehouseError } from '../errors';

export const BEARER_REALM = 'gatehouse';

/** RFC 6750 §3.1: a request without credentials gets a challenge without an error code. */
export const missingToken = () =>
  new GatehouseError('invalid_token', 401, 'a bearer access token is required', {
    headers: { 'WWW-Authenticate': `Bearer realm="${BEARER_REALM}"` },
  });

export const invalidToken = () =>
  new GatehouseError('invalid_token', 401, 'the access token is invalid, expired or revoked', {
    headers: { 'WWW-Authenticate': `Bearer realm="${BEARER_REALM}", error="invalid_token"` },
  });

export const insufficientScope = (scope: string) =>
  new GatehouseError('insufficient_scope', 403, `the access token lacks the scope '${scope}'`, {
    headers: {
      'WWW-Authenticate': `Bearer realm="${BEARER_REALM}", error="insufficient_scope", scope="${scope}"`,
    },
  });

/**
 * RFC 9470 §3: the token's sign-in is not strong enough; the challenge names the acr to ask for, so
 * that the client can send the person through a step-up (`acr_values`) and retry with the new token.
 */
export const insufficientUserAuthentication = (acr: string) =>
  new GatehouseError('insufficient_user_authentication', 401, 'a sign-in with a second factor is required', {
    headers: {
      'WWW-Authenticate': `Bearer realm="${BEARER_REALM}", error="insufficient_user_authentication", error_description="a sign-in with a second factor is required", acr_values="${acr}"`,
    },
  });

export const missingRole = (role: string) =>
  new GatehouseError('access_denied', 403, `the account lacks the role '${role}'`);

/** RFC 6749 §5.2: a failed client authentication with Basic answers 401 with a Basic challenge. */
export const invalidClient = (scheme: 'Basic' | null = 'Basic') =>
  new GatehouseError(
    'invalid_client',
    401,
    'client authentication failed',
    scheme ? { headers: { 'WWW-Authenticate': `${scheme} realm="${BEARER_REALM}"` } } : {},
  );
