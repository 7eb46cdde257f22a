/**
 * What the security suites share: the demo users' password grant (client demo-cli) and the check
 * that a pair of tokens no longer works anywhere.
 */
import { basic, form, post, tokenRequest, type HttpAnswer } from '../grants/helpers';

const DEMO_PASSWORDS: Record<string, string> = { admin: 'adminpass', alice: 'alicepass' };

/** The password grant for a demo user through demo-cli. */
export function demoPasswordGrant(
  issuer: string,
  username: 'admin' | 'alice',
  scope: string,
): Promise<HttpAnswer> {
  return tokenRequest(issuer, {
    grant_type: 'password',
    username,
    password: DEMO_PASSWORDS[username]!,
    scope,
  });
}

/** An access token of the demo admin with the admin scope. */
export async function demoAdminToken(
  issuer: string,
  scope = 'openid profile admin profile:write',
): Promise<string> {
  const answer = await demoPasswordGrant(issuer, 'admin', scope);
  if (answer.status !== 200) throw new Error(`admin sign-in failed: ${answer.text}`);
  return answer.body.access_token as string;
}

/** The access token introspects as inactive and the refresh token is refused. */
export async function expectTokensEnded(
  issuer: string,
  tokens: { access: string; refresh: string },
): Promise<void> {
  const introspection = await post(`${issuer}/token/introspection`, form({ token: tokens.access }), {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: basic('demo-service', 'demo-service-secret'),
  });
  expect(introspection.body).toEqual({ active: false });
  const refreshed = await tokenRequest(issuer, {
    grant_type: 'refresh_token',
    refresh_token: tokens.refresh,
  });
  expect(refreshed.body.error).toBe('invalid_grant');
}
