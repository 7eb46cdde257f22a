/**
 * What only the security suites check: that a pair of tokens no longer works anywhere.
 */
import { introspect } from '../support/http';
import { refresh } from '../support/tokens';

/** The access token introspects as inactive and the refresh token is refused. */
export async function expectTokensEnded(
  issuer: string,
  tokens: { access: string; refresh: string },
): Promise<void> {
  const introspection = await introspect(issuer, tokens.access);
  expect(introspection.body).toEqual({ active: false });
  const refreshed = await refresh(issuer, tokens.refresh);
  expect(refreshed.body.error).toBe('invalid_grant');
}
