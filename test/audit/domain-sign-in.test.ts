/**
 * The sign-in events of the audit trail (issue 18) over real HTTP: user.signed_in once per complete
 * sign-in (the password grant, the one-time-code grant, the login page, a second factor), and
 * user.sign_in_failed once per refusal with its reason: an unknown name and a wrong password alike
 * (invalid_credentials), locked, disabled, second_factor, otp_invalid; user.locked once when the
 * throttle locks a name. Each row names the actor, the source address, the user agent and the
 * request id; none holds the password or the code shown.
 */
import { OTP_GRANT } from '../../src/oidc/grants/names';
import { ALICE, TEST_PASSWORD } from '../support/fixtures';
import { requestOtp, tokenRequest, type HttpAnswer } from '../support/http';
import type { WebhookReceiver } from '../support/receivers';
import type { TestServer } from '../support/server';
import { startServerWithHook } from '../support/server-with-hook';
import { enrollTotp, wrongCode } from '../support/totp';
import { expectPage } from '../support/browser';
import { demoWeb, newBrowser, signIn, signInAndAllow, start } from '../interactions/support/flow';
import { DEMO_WEB } from '../support/fixtures';
import { auditRows, onlyRow, rowsAdded, traced } from './domain-trail';

const LOCKOUT_ATTEMPTS = 3;
let node: TestServer;
let hook: WebhookReceiver;
let stop: (() => Promise<void>) | undefined;
let named = 0;

beforeAll(async () => {
  ({ node, hook, stop } = await startServerWithHook({
    LOCKOUT_MAX_ATTEMPTS: String(LOCKOUT_ATTEMPTS),
    OTP_RESEND_INTERVAL: '0',
  }));
});

afterAll(() => stop?.());

async function newAccount(options: { disabled?: boolean } = {}) {
  named += 1;
  return node.services.accounts.create({
    username: `audit-signin-${named}`,
    password: TEST_PASSWORD,
    email: `audit-signin-${named}@example.com`,
    ...options,
  });
}

function passwordGrant(
  params: { username: string; password: string; otp?: string },
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return tokenRequest(
    node.issuer,
    { grant_type: 'password', scope: 'openid', ...params },
    undefined,
    headers,
  );
}

const db = () => node.services.db;

describe('the password grant', () => {
  it('records one user.signed_in naming the account, the client, the address, agent and request', async () => {
    const account = await newAccount();
    const trace = traced('grant-ok');
    const row = await onlyRow(db(), 'user.signed_in', async () => {
      expect(
        (await passwordGrant({ username: account.username, password: TEST_PASSWORD }, trace.headers)).status,
      ).toBe(200);
    });
    expect(row).toMatchObject({
      actor_type: 'account',
      actor_id: account.id,
      target_type: 'account',
      target_id: account.id,
      ip: '127.0.0.1',
      user_agent: 'audit-test/grant-ok',
      request_id: trace.id,
      data: { method: 'password', client_id: 'demo-cli', amr: ['pwd'] },
    });
    expect(JSON.stringify(row)).not.toContain(TEST_PASSWORD);
  });

  it('records a wrong password and an unknown name alike, without the password', async () => {
    const account = await newAccount();
    const wrongPassword = 'not-the-password-4711';
    const wrong = await onlyRow(db(), 'user.sign_in_failed', async () => {
      const res = await passwordGrant(
        { username: account.username, password: wrongPassword },
        traced('wrong').headers,
      );
      expect(res.status).toBe(400);
    });
    const unknown = await onlyRow(db(), 'user.sign_in_failed', async () => {
      const res = await passwordGrant(
        { username: 'nobody-has-this-name', password: wrongPassword },
        traced('unknown').headers,
      );
      expect(res.status).toBe(400);
    });
    expect(wrong.data).toEqual({
      reason: 'invalid_credentials',
      method: 'password',
      client_id: 'demo-cli',
      username: account.username,
    });
    expect(unknown.data).toEqual({
      reason: 'invalid_credentials',
      method: 'password',
      client_id: 'demo-cli',
      username: 'nobody-has-this-name',
    });
    // The same shape: nothing tells which of the two names has an account.
    for (const row of [wrong, unknown]) {
      expect(row).toMatchObject({
        actor_type: 'anonymous',
        actor_id: null,
        target_type: null,
        target_id: null,
        ip: '127.0.0.1',
      });
      expect(JSON.stringify(row)).not.toContain(wrongPassword);
    }
    expect(wrong.request_id).not.toBe(unknown.request_id);
    // A refusal is no sign-in.
    expect((await auditRows(db(), 'user.signed_in')).filter((r) => r.actor_id === account.id)).toHaveLength(
      0,
    );
  });

  it('keeps at most 150 characters of a presented name', async () => {
    const long = 'x'.repeat(400);
    const row = await onlyRow(db(), 'user.sign_in_failed', () =>
      passwordGrant({ username: long, password: 'whatever' }),
    );
    expect(row.data).toMatchObject({ reason: 'invalid_credentials', username: 'x'.repeat(150) });
  });

  it('records a disabled account as disabled, once the password was right', async () => {
    const account = await newAccount({ disabled: true });
    const row = await onlyRow(db(), 'user.sign_in_failed', () =>
      passwordGrant({ username: account.username, password: TEST_PASSWORD }),
    );
    expect(row).toMatchObject({
      target_type: 'account',
      target_id: account.id,
      data: { reason: 'disabled' },
    });
  });

  it('records the lock once (user.locked with its end), then each refusal of the locked name', async () => {
    const account = await newAccount();
    const lockedRows = await rowsAdded(db(), 'user.locked', async () => {
      for (let i = 0; i < LOCKOUT_ATTEMPTS; i += 1)
        await passwordGrant({ username: account.username, password: `wrong-${i}` });
    });
    expect(lockedRows).toHaveLength(1);
    expect(lockedRows[0]!.data).toEqual({ username: account.username, until: expect.any(String) });
    expect(new Date(lockedRows[0]!.data.until as string).getTime()).toBeGreaterThan(Date.now());
    // The right password now: refused as locked, recorded as locked, no sign-in.
    const refused = await onlyRow(db(), 'user.sign_in_failed', async () => {
      expect((await passwordGrant({ username: account.username, password: TEST_PASSWORD })).status).toBe(400);
    });
    expect(refused.data).toMatchObject({ reason: 'locked', username: account.username });
    expect(JSON.stringify(refused)).not.toContain(TEST_PASSWORD);
    expect(
      await rowsAdded(db(), 'user.locked', () =>
        passwordGrant({ username: account.username, password: 'x' }),
      ),
    ).toHaveLength(0);
  });

  it('records a wrong second factor as second_factor, and the complete sign-in once', async () => {
    const account = await newAccount();
    const { secret, next } = await enrollTotp(node.services.mfa, account);
    const wrong = await wrongCode(secret);
    const failed = await onlyRow(db(), 'user.sign_in_failed', async () => {
      const res = await passwordGrant({
        username: account.username,
        password: TEST_PASSWORD,
        otp: wrong,
      });
      expect(res.status).toBe(400);
    });
    expect(failed).toMatchObject({
      target_id: account.id,
      data: { reason: 'second_factor', method: 'password' },
    });
    expect(JSON.stringify(failed)).not.toContain(wrong);
    // Asked for the code without one: the protocol's step, nothing recorded (no sign-in either).
    expect(
      await rowsAdded(db(), 'user.signed_in', () =>
        passwordGrant({ username: account.username, password: TEST_PASSWORD }),
      ),
    ).toHaveLength(0);
    const signedIn = await onlyRow(db(), 'user.signed_in', async () => {
      const res = await passwordGrant({
        username: account.username,
        password: TEST_PASSWORD,
        otp: await next(),
      });
      expect(res.status).toBe(200);
    });
    expect(signedIn.data).toMatchObject({
      method: 'password',
      amr: expect.arrayContaining(['pwd', 'otp', 'mfa']),
    });
  });
});

describe('the one-time-code grant', () => {
  const exchange = (username: string, otp: string) =>
    tokenRequest(node.issuer, { grant_type: OTP_GRANT, username, otp, scope: 'openid' });

  it('records a wrong code as otp_invalid and the right one as a sign-in with method otp', async () => {
    const account = await newAccount();
    expect((await requestOtp(node.issuer, account.username)).status).toBe(202);
    const code = (await hook.forUser(account.username)).json.code as string;
    const wrongOtp = code === '123456' ? '654321' : '123456';
    const failed = await onlyRow(db(), 'user.sign_in_failed', async () => {
      expect((await exchange(account.username, wrongOtp)).status).toBe(400);
    });
    expect(failed.data).toEqual({
      reason: 'otp_invalid',
      method: 'otp',
      client_id: 'demo-cli',
      username: account.username,
    });
    expect(JSON.stringify(failed)).not.toContain(wrongOtp);
    const row = await onlyRow(db(), 'user.signed_in', async () => {
      expect((await exchange(account.username, code)).status).toBe(200);
    });
    expect(row).toMatchObject({ actor_id: account.id, data: { method: 'otp', client_id: 'demo-cli' } });
    expect(JSON.stringify(row)).not.toContain(code);
  });
});

describe('the login page', () => {
  it('records a wrong password, then one sign-in with the client that asked', async () => {
    const account = await newAccount();
    const rp = await demoWeb(node.issuer);
    const browser = newBrowser();
    const started = await start(browser, rp, DEMO_WEB.redirectUri);
    const failed = await onlyRow(db(), 'user.sign_in_failed', async () => {
      await signIn(browser, expectPage(started.outcome), account.username, 'wrong-page-password');
    });
    expect(failed.data).toEqual({
      reason: 'invalid_credentials',
      method: 'password',
      client_id: DEMO_WEB.id,
      username: account.username,
    });
    expect(failed.ip).toBe('127.0.0.1');
    const again = await start(browser, rp, DEMO_WEB.redirectUri);
    const row = await onlyRow(db(), 'user.signed_in', () =>
      signInAndAllow(browser, again, account.username, TEST_PASSWORD),
    );
    expect(row).toMatchObject({
      actor_type: 'account',
      actor_id: account.id,
      ip: '127.0.0.1',
      data: { method: 'password', client_id: DEMO_WEB.id, amr: ['pwd'] },
    });
    expect(row.request_id).toEqual(expect.any(String));
  });

  it('records a wrong code at the second step as second_factor, then the two-factor sign-in once', async () => {
    const account = await newAccount();
    const { secret, next } = await enrollTotp(node.services.mfa, account);
    const wrong = await wrongCode(secret);
    const rp = await demoWeb(node.issuer);
    const browser = newBrowser();
    const started = await start(browser, rp, DEMO_WEB.redirectUri);
    // The password alone is no sign-in yet.
    let codePage = expectPage(started.outcome);
    expect(
      await rowsAdded(db(), 'user.signed_in', async () => {
        codePage = expectPage(await signIn(browser, codePage, account.username, TEST_PASSWORD));
      }),
    ).toHaveLength(0);
    const failed = await onlyRow(db(), 'user.sign_in_failed', async () => {
      codePage = expectPage(await browser.submit(codePage, '/mfa', { otp: wrong }));
    });
    expect(failed).toMatchObject({
      target_id: account.id,
      data: { reason: 'second_factor', method: 'password', client_id: DEMO_WEB.id },
    });
    const row = await onlyRow(db(), 'user.signed_in', async () =>
      browser.submit(codePage, '/mfa', { otp: await next() }),
    );
    expect(row).toMatchObject({ actor_id: account.id, data: { method: 'password', client_id: DEMO_WEB.id } });
    expect(row.data.amr).toEqual(expect.arrayContaining(['pwd', 'otp']));
  });

  it('records the demo user too (a seeded account signs in like any other)', async () => {
    const rp = await demoWeb(node.issuer);
    const browser = newBrowser();
    const started = await start(browser, rp, DEMO_WEB.redirectUri);
    const row = await onlyRow(db(), 'user.signed_in', () =>
      signInAndAllow(browser, started, ALICE.username, ALICE.password),
    );
    expect(row.data).toMatchObject({ client_id: DEMO_WEB.id });
  });
});
