/**
 * The one-time-code grant over real HTTP: /api/request-otp, codes delivered to a signed webhook the
 * test receives, exchange at the token endpoint, single use, attempt limit, replacement, the resend
 * interval, expiry, the race on one code, and refreshing.
 */
import { OTP_GRANT } from '../../src/oidc/grants/names';
import { post, requestOtp, tokenRequest } from '../support/http';
import {
  WEBHOOK_SECRET as SECRET,
  signatureValid,
  startWebhookReceiver,
  webhookDelivery,
  type WebhookReceiver,
} from '../support/receivers';
import { startTestServer, type TestServer } from '../support/server';
import { decodeJwtPayload, refresh as refreshAt } from '../support/tokens';
import { sleep } from '../support/wait';

const RESEND_SECONDS = 2;
let node: TestServer;
let hook: WebhookReceiver;
let users = 0;

beforeAll(async () => {
  hook = await startWebhookReceiver();
  node = await startTestServer({
    env: {
      ...webhookDelivery(hook),
      OTP_MAX_ATTEMPTS: '3',
      OTP_RESEND_INTERVAL: String(RESEND_SECONDS),
      // Above the code's attempt limit, so that limit is what the tests see.
      LOCKOUT_MAX_ATTEMPTS: '20',
    },
  });
});

afterAll(async () => {
  await node?.stop();
  await hook?.close();
});

/** A fresh account per test: the resend interval and the lockout are per name. */
async function newUser(): Promise<string> {
  users += 1;
  const username = `otp-user-${users}`;
  await node.services.accounts.create({
    username,
    password: 'irrelevant-password',
    email: `${username}@example.com`,
  });
  return username;
}

async function codeFor(username: string, n = 1): Promise<string> {
  return (await hook.forUser(username, n)).json.code;
}

const exchange = (username: string, otp: string, extra: Record<string, string> = {}) =>
  tokenRequest(node.issuer, { grant_type: OTP_GRANT, username, otp, ...extra });

describe('requesting a code', () => {
  it('answers 202 with one body whether or not the account exists', async () => {
    const username = await newUser();
    const known = await requestOtp(node.issuer, username);
    const unknown = await requestOtp(node.issuer, 'no-such-account');
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(unknown.text).toBe(known.text);
    expect(known.body).toEqual({ status: 'accepted', expires_in: 300 });
    expect(known.headers.get('cache-control')).toBe('no-store');
  });

  it('delivers a six-digit code to the webhook, signed over the exact body', async () => {
    const username = await newUser();
    const before = Date.now();
    await requestOtp(node.issuer, username);
    const delivery = await hook.forUser(username);
    expect(delivery.headers['content-type']).toBe('application/json');
    expect(signatureValid(delivery, SECRET)).toBe(true);
    expect(signatureValid({ ...delivery, raw: `${delivery.raw} ` }, SECRET)).toBe(false);
    expect(signatureValid(delivery, 'another-secret-0123456789')).toBe(false);
    expect(delivery.json).toMatchObject({ username, email: `${username}@example.com` });
    expect(delivery.json.code).toMatch(/^\d{6}$/);
    const expiresAt = Date.parse(delivery.json.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 299_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 300_000);
  });

  it('stores only a hash of the code', async () => {
    const username = await newUser();
    await requestOtp(node.issuer, username);
    const code = await codeFor(username);
    const row = await node.services.db('otp_codes').where('username', username).first();
    expect(row.code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(code);
  });

  it('answers 429 with Retry-After within the resend interval, for unknown names too', async () => {
    const username = await newUser();
    expect((await requestOtp(node.issuer, username)).status).toBe(202);
    const again = await requestOtp(node.issuer, username.toUpperCase());
    expect(again.status).toBe(429);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(again.headers.get('retry-after'))).toBeLessThanOrEqual(RESEND_SECONDS);
    expect(again.body.error).toBe('too_many_requests');

    expect((await requestOtp(node.issuer, 'unknown-name-429')).status).toBe(202);
    const unknownAgain = await requestOtp(node.issuer, 'unknown-name-429');
    expect(unknownAgain.status).toBe(429);
    expect(unknownAgain.text).toBe(again.text);
  });

  it('refuses a request without a username with a JSON error naming it', async () => {
    const res = await post(`${node.issuer}/api/request-otp`, '{}', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'invalid_request',
      error_description: "missing required parameter 'username'",
      details: { username: 'required' },
    });
  });

  it('takes JSON as well as a form, with or without a trailing slash', async () => {
    const username = await newUser();
    const res = await post(`${node.issuer}/api/request-otp/`, JSON.stringify({ username }), {
      'content-type': 'application/json',
    });
    expect(res.status).toBe(202);
    expect((await exchange(username, await codeFor(username))).status).toBe(200);
  });
});

describe('exchanging a code', () => {
  it('issues tokens with amr otp, once', async () => {
    const username = await newUser();
    await requestOtp(node.issuer, username);
    const code = await codeFor(username);
    const res = await exchange(username, code, { scope: 'openid offline_access profile' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'openid offline_access profile' });
    const claims = decodeJwtPayload(res.body.id_token as string);
    expect(claims).toMatchObject({ aud: 'demo-cli', amr: ['otp'], preferred_username: username });

    const again = await exchange(username, code);
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
  });

  it('answers a wrong code, an unknown user and a used code alike', async () => {
    const username = await newUser();
    await requestOtp(node.issuer, username);
    const code = await codeFor(username);
    const wrong = await exchange(username, code === '000000' ? '000001' : '000000');
    const unknown = await exchange('nobody-at-all', code);
    expect(wrong.status).toBe(400);
    expect(unknown.text).toBe(wrong.text);
    expect((await exchange(username, code)).status).toBe(200);
    expect((await exchange(username, code)).text).toBe(wrong.text);
  });

  it('voids the code after OTP_MAX_ATTEMPTS wrong tries', async () => {
    const username = await newUser();
    await requestOtp(node.issuer, username);
    const code = await codeFor(username);
    const wrong = code === '999999' ? '999998' : '999999';
    for (let i = 0; i < 3; i += 1) expect((await exchange(username, wrong)).status).toBe(400);
    expect((await exchange(username, code)).body.error).toBe('invalid_grant');

    // The name is not locked: a new code works.
    await sleep(RESEND_SECONDS * 1000 + 100);
    await requestOtp(node.issuer, username);
    expect((await exchange(username, await codeFor(username, 2))).status).toBe(200);
  });

  it('replaces the old code when a new one is requested', async () => {
    const username = await newUser();
    await requestOtp(node.issuer, username);
    const first = await codeFor(username);
    await sleep(RESEND_SECONDS * 1000 + 100);
    expect((await requestOtp(node.issuer, username)).status).toBe(202);
    const second = await codeFor(username, 2);
    if (first !== second) expect((await exchange(username, first)).body.error).toBe('invalid_grant');
    expect((await exchange(username, second)).status).toBe(200);
  });

  it('lets exactly one of concurrent exchanges of one code succeed', async () => {
    const username = await newUser();
    await requestOtp(node.issuer, username);
    const code = await codeFor(username);
    const answers = await Promise.all(Array.from({ length: 4 }, () => exchange(username, code)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400, 400, 400]);
    for (const a of answers.filter((x) => x.status === 400)) expect(a.body.error).toBe('invalid_grant');
  });

  it('refuses a disabled account', async () => {
    const username = await newUser();
    await requestOtp(node.issuer, username);
    const code = await codeFor(username);
    const account = await node.services.accounts.findByUsername(username);
    await node.services.accounts.setDisabled(account!.id, true);
    const res = await exchange(username, code);
    expect(res.body).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
  });

  it.each([
    [{ otp: '123456' }, 'username'],
    [{ username: 'alice' }, 'otp'],
  ])('answers invalid_request naming the missing parameter (%j)', async (params, name) => {
    const res = await tokenRequest(node.issuer, { grant_type: OTP_GRANT, ...params });
    expect(res.body).toEqual({
      error: 'invalid_request',
      error_description: `missing required parameter '${name}'`,
    });
  });

  it('issues a refresh token that rotates', async () => {
    const username = await newUser();
    await requestOtp(node.issuer, username);
    const first = await exchange(username, await codeFor(username), { scope: 'openid offline_access' });
    const refresh = (token: unknown) => refreshAt(node.issuer, token as string);
    const second = await refresh(first.body.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    expect(decodeJwtPayload(second.body.id_token as string).sub).toBe(
      decodeJwtPayload(first.body.id_token as string).sub,
    );
    expect((await refresh(first.body.refresh_token)).body.error).toBe('invalid_grant');
  });
});

describe('code lifetime', () => {
  let shortLived: TestServer;
  let shortHook: WebhookReceiver;

  beforeAll(async () => {
    shortHook = await startWebhookReceiver();
    shortLived = await startTestServer({ env: { ...webhookDelivery(shortHook), OTP_TTL: '1' } });
  });

  afterAll(async () => {
    await shortLived?.stop();
    await shortHook?.close();
  });

  it('refuses a code after OTP_TTL', async () => {
    await requestOtp(shortLived.issuer, 'alice');
    const { code } = (await shortHook.forUser('alice')).json;
    await sleep(1500);
    const res = await tokenRequest(shortLived.issuer, {
      grant_type: OTP_GRANT,
      username: 'alice',
      otp: code,
    });
    expect(res.body).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
  });
});
