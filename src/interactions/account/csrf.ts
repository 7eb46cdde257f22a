/**
 * Forged form posts to the account pages. Two independent checks, since these forms change how a
 * person signs in:
 * - Fetch Metadata (page-guards.ts refuseCrossSite, as on the login pages): a browser that sends
 *   `Sec-Fetch-Site` says whether the form came from this origin; anything else is refused.
 * - A form token bound to the provider session: HMAC-SHA256 under SECRET_KEY of the session's uid
 *   (the "HMAC based token" of the OWASP CSRF cheat sheet). Another site cannot read it; a session
 *   signed in later gets another one; compared in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { GatehouseError } from '../../errors';

/** The form field every account form carries. */
export const FORM_TOKEN_FIELD = 'csrf';

/** Keeps the token apart from every other HMAC under the same secret (the console has its own). */
const PURPOSE = 'gatehouse:account-form:v1:';

export function formToken(secretKey: string, sessionUid: string, purpose: string = PURPOSE): string {
  return createHmac('sha256', secretKey)
    .update(purpose + sessionUid)
    .digest('base64url');
}

export function formTokenMatches(
  secretKey: string,
  sessionUid: string,
  presented: unknown,
  purpose: string = PURPOSE,
): boolean {
  if (typeof presented !== 'string' || !presented) return false;
  const expected = Buffer.from(formToken(secretKey, sessionUid, purpose));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export const refusedFormToken = () =>
  new GatehouseError('access_denied', 403, 'the form token is missing or does not match this session');
