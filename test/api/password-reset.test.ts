/**
 * A forgotten password end to end through the webhook delivery: POST /api/password-reset answers the
 * same 202 whatever it is asked, the receiver gets a signed `password_reset.requested` event with the
 * page's url and the token, and POST /api/password-reset/confirm sets the password once. A reset
 * ends every token of the account and lifts its lockout; the limits answer 429; two confirmations
 * racing with one token: exactly one wins.
 */
import type { Account } from '../../src/accounts/store';
import { ACTION_TOKENS_TABLE } from '../../src/accounts/action-tokens';
import { PUBLIC_PATHS } from '../../src/api/paths';
import { TEST_PASSWORD } from '../support/fixtures';
import { isActive } from '../support/http';
import {
  signatureValid,
  startWebhookReceiver,
  webhookDelivery,
  WEBHOOK_SECRET,
  type WebhookReceiver,
} from '../support/receivers';
import { api, passwordTokens, startApiNode, type ApiNode } from './support';

const NEW_PASSWORD = 'a-new-password-42';

let hook: WebhookReceiver;
let node: ApiNode;
let serial = 0;

beforeAll(async () => {
  hook = await startWebhookReceiver();
  node = await startApiNode({
    ...webhookDelivery(hook),
    // Room for every request of this file from one source; the limits have their own node below.
    RATE_LIMIT_PASSWORD_RESET: '1000/600',
    RATE_LIMIT_PASSWORD_RESET_NAME: '1000/3600',
    RATE_LIMIT_LOGIN: '1000/60',
    RATE_LIMIT_TOKEN: '1000/60',
    PASSWORD_MIN_LENGTH: '10',
  });
}, 60000);

afterAll(async () => {
  await node?.stop();
  await hook?.close();
});

/** An account of its own per test, so that no test changes another's password. */
async function newAccount(options: { email?: string | null; disabled?: boolean } = {}): Promise<Account> {
  serial += 1;
  const username = `reset-${serial}`;
  return node.services.accounts.create({
    username,
    password: TEST_PASSWORD,
    email: options.email === undefined ? `${username}@example.com` : options.email,
    disabled: options.disabled,
  });
}

const requestReset = (body: Record<string, unknown>) =>
  api(node, 'POST', PUBLIC_PATHS.passwordReset, { json: body });

const confirmReset = (token: unknown, newPassword: unknown = NEW_PASSWORD) =>
  api(node, 'POST', PUBLIC_PATHS.passwordResetConfirm, { json: { token, new_password: newPassword } });

/** Asks for a reset of the account's name and returns the token of its `n`th event. */
async function resetToken(account: Account, n = 1): Promise<string> {
  expect((await requestReset({ username: account.username })).status).toBe(202);
  return (await hook.forUser(account.username, n)).json.token!;
}

const signIn = (username: string, password: string) =>
  passwordTokens(node, { username, password, scope: 'openid offline_access' }).then(
    () => 'ok',
    (err: Error) => err.message,
  );

describe('POST /api/password-reset', () => {
  it('sends a signed password_reset.requested event with the page url and the token', async () => {
    const account = await newAccount();
    const res = await requestReset({ username: account.username.toUpperCase() });
    expect([res.status, res.body]).toEqual([202, { status: 'accepted' }]);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const event = await hook.forUser(account.username);
    expect(signatureValid(event, WEBHOOK_SECRET)).toBe(true);
    const { token, url, expires_at: expiresAt, ...rest } = event.json;
    expect(rest).toEqual({
      event: 'password_reset.requested',
      username: account.username,
      sub: account.id,
      email: account.email,
      phone_number: null,
    });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url).toBe(`${node.issuer}/account/reset?token=${token}`);
    // PASSWORD_RESET_TTL: 30 minutes by default.
    const ttl = (Date.parse(expiresAt!) - Date.now()) / 1000;
    expect(ttl).toBeGreaterThan(29 * 60);
    expect(ttl).toBeLessThanOrEqual(30 * 60);
    // Stored hashed: the table holds no token.
    const rows = await node.services.db(ACTION_TOKENS_TABLE).where({ account_id: account.id });
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('answers an unknown username and an unknown address with the identical 202, and sends nothing', async () => {
    const known = await newAccount();
    const answers = [
      await requestReset({ username: 'nobody-has-this-name' }),
      await requestReset({ email: 'nobody@nowhere.example' }),
      await requestReset({ username: known.username }),
      await requestReset({ email: known.email }),
    ];
    expect(answers.map((a) => [a.status, a.body])).toEqual(
      Array.from({ length: 4 }, () => [202, { status: 'accepted' }]),
    );
    await node.links.passwordReset.settled();
    expect(hook.deliveries.filter((d) => /nobody/.test(d.raw))).toEqual([]);
    expect(hook.deliveries.filter((d) => d.json.username === known.username)).toHaveLength(2);
  });

  it('by address: every account of it (any case), but not a disabled one', async () => {
    const first = await newAccount({ email: 'Shared.Box@Example.com' });
    const second = await newAccount({ email: 'shared.box@example.com' });
    const disabled = await newAccount({ email: 'shared.box@example.com', disabled: true });
    expect((await requestReset({ email: 'SHARED.box@example.com' })).status).toBe(202);
    await node.links.passwordReset.settled();
    const names = hook.deliveries
      .filter((d) => d.json.event === 'password_reset.requested')
      .map((d) => d.json.username);
    expect(names).toEqual(expect.arrayContaining([first.username, second.username]));
    expect(names).not.toContain(disabled.username);
  });

  it('wants exactly one of username and email', async () => {
    const neither = await requestReset({});
    expect([neither.status, (neither.body as { details: object }).details]).toEqual([
      400,
      { username: 'give username or email' },
    ]);
    const both = await requestReset({ username: 'a', email: 'a@example.com' });
    expect([both.status, (both.body as { details: object }).details]).toEqual([
      400,
      { email: 'give username or email, not both' },
    ]);
    const notAnAddress = await requestReset({ email: 'not-an-address' });
    expect((notAnAddress.body as { details: object }).details).toEqual({ email: 'must be an email address' });
  });
});

describe('POST /api/password-reset/confirm', () => {
  it('sets the new password once; the old one and the spent token stop working', async () => {
    const account = await newAccount();
    const token = await resetToken(account);
    const done = await confirmReset(token);
    expect([done.status, done.body]).toEqual([204, undefined]);
    expect(await signIn(account.username, NEW_PASSWORD)).toBe('ok');
    expect(await signIn(account.username, TEST_PASSWORD)).toMatch(/password grant failed: 400/);

    const again = await confirmReset(token, 'yet-another-password');
    expect([again.status, again.body]).toEqual([
      400,
      {
        error: 'invalid_request',
        error_description: 'the link is invalid, expired or already used',
        details: { token: 'invalid, expired or already used' },
      },
    ]);
    expect(await signIn(account.username, NEW_PASSWORD)).toBe('ok');
  });

  it('refuses an expired token', async () => {
    const account = await newAccount();
    const token = await resetToken(account);
    await node.services
      .db(ACTION_TOKENS_TABLE)
      .where({ account_id: account.id })
      .update({ expires_at: new Date(Date.now() - 1000) });
    const res = await confirmReset(token);
    expect([res.status, (res.body as { details: object }).details]).toEqual([
      400,
      { token: 'invalid, expired or already used' },
    ]);
    expect(await signIn(account.username, TEST_PASSWORD)).toBe('ok');
  });

  it('refuses a made-up token and a password that breaks the rules, naming the field', async () => {
    const unknown = await confirmReset('x'.repeat(43));
    expect((unknown.body as { details: object }).details).toEqual({
      token: 'invalid, expired or already used',
    });
    const account = await newAccount();
    const token = await resetToken(account);
    // Below the schema's floor (8), and below PASSWORD_MIN_LENGTH=10 of this node.
    const short = await confirmReset(token, 'short');
    expect([short.status, (short.body as { details: object }).details]).toEqual([
      400,
      { new_password: 'must be at least 8 characters' },
    ]);
    const belowPolicy = await confirmReset(token, '123456789');
    expect([belowPolicy.status, (belowPolicy.body as { details: object }).details]).toEqual([
      400,
      { new_password: 'must be at least 10 characters' },
    ]);
    // Nothing was spent by the refusals.
    expect((await confirmReset(token)).status).toBe(204);
  });

  it("spends the account's other reset links", async () => {
    const account = await newAccount();
    const first = await resetToken(account, 1);
    const second = await resetToken(account, 2);
    expect((await confirmReset(second)).status).toBe(204);
    expect((await confirmReset(first, 'another-password-7')).status).toBe(400);
  });

  it("revokes the account's tokens", async () => {
    const account = await newAccount();
    const before = await passwordTokens(node, {
      username: account.username,
      password: TEST_PASSWORD,
      scope: 'openid offline_access',
    });
    expect(await isActive(node.issuer, before.access_token)).toBe(true);
    expect(before.refresh_token).toEqual(expect.any(String));
    expect((await confirmReset(await resetToken(account))).status).toBe(204);
    expect(await isActive(node.issuer, before.access_token)).toBe(false);
    expect(await isActive(node.issuer, before.refresh_token!)).toBe(false);
  });

  it('lifts the lockout of the name', async () => {
    const account = await newAccount();
    // LOCKOUT_MAX_ATTEMPTS (5) wrong passwords lock the name; the right one is refused too.
    for (let i = 0; i < node.config.lockout.maxAttempts; i += 1)
      expect(await signIn(account.username, 'wrong-password')).toMatch(/400/);
    expect(await node.services.accounts.throttle.lockedUntil(account.username)).toEqual(expect.any(Date));
    expect(await signIn(account.username, TEST_PASSWORD)).toMatch(/400/);
    expect((await confirmReset(await resetToken(account))).status).toBe(204);
    expect(await node.services.accounts.throttle.lockedUntil(account.username)).toBeNull();
    expect(await signIn(account.username, NEW_PASSWORD)).toBe('ok');
  });

  it('of two confirmations racing with one token, exactly one wins', async () => {
    const account = await newAccount();
    const token = await resetToken(account);
    const answers = await Promise.all([
      confirmReset(token, 'racing-password-one'),
      confirmReset(token, 'racing-password-two'),
    ]);
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([204, 400]);
    const winner = answers[0]!.status === 204 ? 'racing-password-one' : 'racing-password-two';
    const loser = winner === 'racing-password-one' ? 'racing-password-two' : 'racing-password-one';
    expect(await signIn(account.username, winner)).toBe('ok');
    expect(await signIn(account.username, loser)).toMatch(/400/);
  });
});

describe('the limits of POST /api/password-reset', () => {
  let limited: ApiNode;

  beforeAll(async () => {
    limited = await startApiNode({
      ...webhookDelivery(hook),
      RATE_LIMIT_PASSWORD_RESET: '6/600',
      RATE_LIMIT_PASSWORD_RESET_NAME: '2/3600',
    });
  }, 60000);

  afterAll(async () => {
    await limited?.stop();
  });

  const ask = (body: Record<string, string>) =>
    api(limited, 'POST', PUBLIC_PATHS.passwordReset, { json: body });

  it('refuses a name past its limit, whether or not an account has it, and a source past its own', async () => {
    // Per name: an unknown name and a known one are counted alike (folded: case and spaces).
    for (const name of ['nobody-limited', 'alice']) {
      expect((await ask({ username: name })).status).toBe(202);
      expect((await ask({ username: ` ${name.toUpperCase()} ` })).status).toBe(202);
      const refused = await ask({ username: name });
      expect(refused.status).toBe(429);
      expect((refused.body as { error: string }).error).toBe('too_many_requests');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Per source: six requests were counted above, the whole of this node's limit.
    const other = await ask({ email: 'someone@example.com' });
    expect(other.status).toBe(429);
    expect(Number(other.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
