/**
 * The password grant with a second factor (RFC 6749 §4.3 with Gatehouse's `otp` parameter) over real
 * HTTP: an account with an authenticator app needs `otp`, asked for only after the password was
 * verified; the tokens say how the account signed in, `amr` (RFC 8176) and `acr`, in the ID token and
 * in introspection (RFC 7662), and keep saying it after a refresh; codes are single use and wrong ones
 * count towards the lockout. Also the other ways to tokens: the one-time-code grant (one factor), the
 * X-Service-Key route, MFA_REQUIRED_ROLES, and the browser's authorization code flow.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { ACR_ONE_FACTOR, ACR_TWO_FACTORS } from '../../src/accounts/mfa/methods';
import { OTP_GRANT } from '../../src/oidc/grants/names';
import { ADMIN, ALICE, DEMO_SERVICE_KEY, DEMO_WEB, TEST_PASSWORD } from '../support/fixtures';
import { form, introspect, post, requestOtp, tokenRequest, type HttpAnswer } from '../support/http';
import type { WebhookReceiver } from '../support/receivers';
import { startTestServer, type TestServer } from '../support/server';
import { startServerWithHook } from '../support/server-with-hook';
import { enrollTotp, wrongCode } from '../support/totp';
import { refresh, type TokenSet } from '../support/tokens';
import { demoWeb, newBrowser, redeem, signInAndAllow, start } from '../interactions/support/flow';

const LOCKOUT_ATTEMPTS = 3;
const SECOND_FACTOR_REQUIRED = {
  error: 'invalid_grant',
  error_description: 'a second factor is required',
};

let node: TestServer;
let hook: WebhookReceiver;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ node, hook, stop } = await startServerWithHook({
    LOCKOUT_MAX_ATTEMPTS: String(LOCKOUT_ATTEMPTS),
    OTP_RESEND_INTERVAL: '0',
  }));
});

afterAll(() => stop?.());

let named = 0;

/** A new account with an active authenticator app (enrolled through the store, as the API does). */
async function enrolledAccount(on: TestServer = node) {
  named += 1;
  const account = await on.services.accounts.create({
    username: `mfa-grant-${named}`,
    password: TEST_PASSWORD,
  });
  return { account, ...(await enrollTotp(on.services.mfa, account)) };
}

function passwordGrant(
  params: { username: string; password?: string; otp?: string; scope?: string },
  on: TestServer = node,
): Promise<HttpAnswer> {
  const { password = TEST_PASSWORD, scope = 'openid offline_access', ...rest } = params;
  return tokenRequest(on.issuer, { grant_type: 'password', password, scope, ...rest });
}

async function idTokenClaims(idToken: string, on: TestServer = node) {
  const jwks = createRemoteJWKSet(new URL(`${on.issuer}/jwks`));
  return (await jwtVerify(idToken, jwks, { issuer: on.issuer, audience: 'demo-cli' })).payload;
}

/** Introspection by demo-service (a resource server): 200 and active, or the test fails. */
async function introspected(token: string, on: TestServer = node) {
  const res = await introspect(on.issuer, token);
  expect(res.status).toBe(200);
  expect(res.body.active).toBe(true);
  return res.body;
}

const TWO_FACTORS = { amr: ['pwd', 'otp', 'mfa'], acr: ACR_TWO_FACTORS };
const PASSWORD_ONLY = { amr: ['pwd'], acr: ACR_ONE_FACTOR };

describe('an account with an authenticator app', () => {
  it('is told a second factor is required when the password is right and otp is missing', async () => {
    const { account } = await enrolledAccount();
    const res = await passwordGrant({ username: account.username });
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual(SECOND_FACTOR_REQUIRED);
  });

  it('gets the ordinary answer for a wrong password, otp or not: nothing about a second factor', async () => {
    const { account, next } = await enrolledAccount();
    const unknown = await passwordGrant({ username: 'nobody-at-all', password: 'wrong-password' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe('invalid_grant');
    expect(String(unknown.body.error_description)).not.toMatch(/factor/i);
    for (const otp of [undefined, await next()]) {
      const res = await passwordGrant({ username: account.username, password: 'wrong-password', otp });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(unknown.body);
    }
  });

  it('gets tokens with a right otp; the ID token and introspection say two factors', async () => {
    const { account, next } = await enrolledAccount();
    const res = await passwordGrant({ username: account.username, otp: await next() });
    expect(res.status).toBe(200);
    const tokens = res.body as unknown as TokenSet;
    expect(await idTokenClaims(tokens.id_token!)).toMatchObject({ sub: account.id, ...TWO_FACTORS });
    expect(await introspected(tokens.access_token)).toMatchObject({ sub: account.id, ...TWO_FACTORS });
  });

  it('keeps amr and acr in the access token of a refresh', async () => {
    const { account, next } = await enrolledAccount();
    const first = (await passwordGrant({ username: account.username, otp: await next() }))
      .body as unknown as TokenSet;
    const refreshed = await refresh(node.issuer, first.refresh_token!);
    expect(refreshed.status).toBe(200);
    const tokens = refreshed.body as unknown as TokenSet;
    expect(tokens.access_token).not.toBe(first.access_token);
    expect(await introspected(tokens.access_token)).toMatchObject({ sub: account.id, ...TWO_FACTORS });
    expect(await idTokenClaims(tokens.id_token!)).toMatchObject(TWO_FACTORS);
  });

  it('refuses an otp once accepted (a replay), as it refuses a wrong one', async () => {
    const { account, next } = await enrolledAccount();
    const otp = await next();
    expect((await passwordGrant({ username: account.username, otp })).status).toBe(200);
    const replay = await passwordGrant({ username: account.username, otp });
    expect(replay.status).toBe(400);
    expect(replay.body).toEqual(SECOND_FACTOR_REQUIRED);
  });

  it('takes a recovery code as otp, once, in any case', async () => {
    const { account, recoveryCodes } = await enrolledAccount();
    const code = recoveryCodes[0]!;
    const res = await passwordGrant({ username: account.username, otp: code.toUpperCase() });
    expect(res.status).toBe(200);
    expect(await idTokenClaims(res.body.id_token as string)).toMatchObject(TWO_FACTORS);
    const again = await passwordGrant({ username: account.username, otp: code });
    expect(again.body).toEqual(SECOND_FACTOR_REQUIRED);
    expect(await node.services.mfa.recoveryCodes.remaining(account.id)).toBe(recoveryCodes.length - 1);
  });

  it('counts wrong otps towards the lockout, though the password is right each time', async () => {
    const { account, secret, next } = await enrolledAccount();
    const wrong = await wrongCode(secret);
    for (let i = 0; i < LOCKOUT_ATTEMPTS; i += 1) {
      const res = await passwordGrant({ username: account.username, otp: wrong });
      expect(res.body).toEqual(SECOND_FACTOR_REQUIRED);
    }
    // Locked: the right password and the right code are refused alike, with the ordinary answer.
    const locked = await passwordGrant({ username: account.username, otp: await next() });
    expect(locked.status).toBe(400);
    expect(locked.body.error).toBe('invalid_grant');
    expect(await node.services.accounts.throttle.lockedUntil(account.username)).toBeInstanceOf(Date);
  });

  it('is answered the same through /api/token/password with X-Service-Key', async () => {
    const { account, next } = await enrolledAccount();
    const viaKey = (params: Record<string, string>) =>
      post(
        `${node.issuer}/api/token/password`,
        form({ username: account.username, password: TEST_PASSWORD, ...params }),
        {
          'content-type': 'application/x-www-form-urlencoded',
          'x-service-key': DEMO_SERVICE_KEY,
        },
      );
    const without = await viaKey({ scope: 'openid' });
    expect(without.status).toBe(400);
    expect(without.body).toEqual(SECOND_FACTOR_REQUIRED);
    const json = await post(
      `${node.issuer}/api/token/password`,
      JSON.stringify({
        username: account.username,
        password: TEST_PASSWORD,
        otp: await next(),
        scope: 'openid',
      }),
      { 'content-type': 'application/json', 'x-service-key': DEMO_SERVICE_KEY },
    );
    expect(json.status).toBe(200);
    expect(await idTokenClaims(json.body.id_token as string)).toMatchObject({
      sub: account.id,
      ...TWO_FACTORS,
    });
    expect(await introspected(json.body.access_token as string)).toMatchObject(TWO_FACTORS);
  });
});

describe('an account without a second factor', () => {
  it('gets tokens for the password alone, saying one factor; an otp sent along is ignored', async () => {
    for (const otp of [undefined, '123456']) {
      const res = await passwordGrant({ username: ALICE.username, password: ALICE.password, otp });
      expect(res.status).toBe(200);
      expect(await idTokenClaims(res.body.id_token as string)).toMatchObject(PASSWORD_ONLY);
      expect(await introspected(res.body.access_token as string)).toMatchObject(PASSWORD_ONLY);
    }
  });

  it('says amr ["otp"] and one factor for the one-time-code grant', async () => {
    const before = hook.deliveries.filter((d) => d.json.username === ALICE.username).length;
    expect((await requestOtp(node.issuer, ALICE.username)).status).toBe(202);
    const code = (await hook.forUser(ALICE.username, before + 1)).json.code as string;
    const res = await tokenRequest(node.issuer, {
      grant_type: OTP_GRANT,
      username: ALICE.username,
      otp: code,
      scope: 'openid',
    });
    expect(res.status).toBe(200);
    const claims = { amr: ['otp'], acr: ACR_ONE_FACTOR };
    expect(await idTokenClaims(res.body.id_token as string)).toMatchObject(claims);
    expect(await introspected(res.body.access_token as string)).toMatchObject(claims);
  });
});

describe('the browser sign-in (authorization code)', () => {
  it('puts amr and acr of the sign-in into the access token, as introspection shows', async () => {
    const web = await demoWeb(node.issuer);
    const browser = newBrowser();
    const started = await start(browser, web, DEMO_WEB.redirectUri);
    const tokens = await redeem(web, await signInAndAllow(browser, started), started);
    expect(tokens.claims()).toMatchObject(PASSWORD_ONLY);
    expect(await introspected(tokens.access_token)).toMatchObject({
      client_id: DEMO_WEB.id,
      ...PASSWORD_ONLY,
    });
  });
});

describe('MFA_REQUIRED_ROLES=admin', () => {
  let strict: TestServer;

  beforeAll(async () => {
    strict = await startTestServer({ env: { MFA_REQUIRED_ROLES: 'admin' } });
  });

  afterAll(async () => {
    await strict?.stop();
  });

  it('tells an admin without a factor that a second factor is required, and not a user', async () => {
    const admin = await passwordGrant({ username: ADMIN.username, password: ADMIN.password }, strict);
    expect(admin.status).toBe(400);
    expect(admin.body).toEqual(SECOND_FACTOR_REQUIRED);
    const withCode = await passwordGrant(
      { username: ADMIN.username, password: ADMIN.password, otp: '123456' },
      strict,
    );
    expect(withCode.body).toEqual(SECOND_FACTOR_REQUIRED);
    const user = await passwordGrant({ username: ALICE.username, password: ALICE.password }, strict);
    expect(user.status).toBe(200);
    expect(await idTokenClaims(user.body.id_token as string, strict)).toMatchObject(PASSWORD_ONLY);
  });

  it('issues an admin with an authenticator app two-factor tokens', async () => {
    const admin = (await strict.services.accounts.findByUsername(ADMIN.username))!;
    const { next } = await enrollTotp(strict.services.mfa, admin);
    const res = await passwordGrant(
      { username: ADMIN.username, password: ADMIN.password, otp: await next() },
      strict,
    );
    expect(res.status).toBe(200);
    expect(await idTokenClaims(res.body.id_token as string, strict)).toMatchObject(TWO_FACTORS);
  });
});
