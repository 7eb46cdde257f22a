/**
 * /api/account/mfa through real HTTP: enrolling an authenticator app with codes computed by otplib
 * from the enrollment's secret, recovery codes, removal, the lockout, the `account` scope (first-party
 * clients only), and a race of two confirmations with one code. Every answer is checked against the
 * node's OpenAPI document (api()). Each test makes its own account: the lockout is per name.
 */
import { generate } from 'otplib';
import { ALICE, TEST_PASSWORD, type ClientCredentials } from '../support/fixtures';
import { tokenRequest } from '../support/http';
import { accessToken, passwordGrantParams } from '../support/tokens';
import { api, startApiNode, type ApiNode } from './support';

let node: ApiNode;

beforeAll(async () => {
  node = await startApiNode({ LOCKOUT_MAX_ATTEMPTS: '3' });
});

afterAll(async () => {
  await node?.stop();
});

const now = () => Math.floor(Date.now() / 1000);
/** The app's code for the step `offset` steps from now (30 s each; the server accepts ±1). */
const codeAt = (secret: string, offset = 0) => generate({ secret, epoch: now() + offset * 30 });

/** A six-digit code that is none of the app's codes within the window of ±1 step. */
async function wrongCode(secret: string): Promise<string> {
  const window = new Set(await Promise.all([-2, -1, 0, 1, 2].map((o) => codeAt(secret, o))));
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0');
    if (!window.has(code)) return code;
  }
}

let named = 0;
/** A new account and a token of it with the scope `account`, from demo-cli's password grant. */
async function newAccount(): Promise<{ id: string; username: string; token: string }> {
  named += 1;
  const account = await node.services.accounts.create({
    username: `mfa-api-${named}`,
    password: TEST_PASSWORD,
  });
  const token = await accessToken(node.issuer, 'openid account', { username: account.username });
  return { id: account.id, username: account.username, token };
}

interface Enrollment {
  secret: string;
  otpauth_uri: string;
  qr_svg: string;
}

async function startEnrollment(token: string): Promise<Enrollment> {
  const res = await api(node, 'POST', '/api/account/mfa/totp', { token });
  expect(res.status).toBe(201);
  return res.body as Enrollment;
}

/** An account with an active authenticator app: its token, secret and recovery codes. */
async function enrolledAccount() {
  const account = await newAccount();
  const { secret } = await startEnrollment(account.token);
  const res = await api(node, 'POST', '/api/account/mfa/totp/verify', {
    token: account.token,
    json: { code: await codeAt(secret) },
  });
  expect(res.status).toBe(200);
  return { ...account, secret, recoveryCodes: (res.body as { recovery_codes: string[] }).recovery_codes };
}

async function summary(token: string) {
  const res = await api(node, 'GET', '/api/account/mfa', { token });
  expect(res.status).toBe(200);
  return res.body as {
    totp: { status: string; created_at: string; activated_at: string | null } | null;
    passkeys: unknown[];
    recovery_codes_remaining: number;
  };
}

const wrongCodeAnswer = {
  error: 'invalid_request',
  error_description: 'the code is not valid',
  details: { code: 'the code is not valid' },
};

describe('enrolling an authenticator app', () => {
  it('starts pending, refuses a wrong code without a change, activates with a right one', async () => {
    const account = await newAccount();
    expect(await summary(account.token)).toEqual({ totp: null, passkeys: [], recovery_codes_remaining: 0 });

    const enrollment = await startEnrollment(account.token);
    expect(enrollment.secret).toMatch(/^[A-Z2-7]{16,}$/);
    const uri = new URL(enrollment.otpauth_uri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toContain(account.username);
    expect(uri.searchParams.get('secret')).toBe(enrollment.secret);
    expect(uri.searchParams.get('issuer')).toBe(new URL(node.issuer).host);
    expect(enrollment.qr_svg).toMatch(/<svg[\s\S]*<\/svg>\s*$/);

    const pending = await summary(account.token);
    expect(pending).toEqual({
      totp: { status: 'pending', created_at: expect.any(String), activated_at: null },
      passkeys: [],
      recovery_codes_remaining: 0,
    });

    const wrong = await api(node, 'POST', '/api/account/mfa/totp/verify', {
      token: account.token,
      json: { code: await wrongCode(enrollment.secret) },
    });
    expect(wrong).toMatchObject({ status: 400, body: wrongCodeAnswer });
    expect(await summary(account.token)).toEqual(pending);

    const right = await api(node, 'POST', '/api/account/mfa/totp/verify', {
      token: account.token,
      json: { code: await codeAt(enrollment.secret) },
    });
    expect(right.status).toBe(200);
    const codes = (right.body as { recovery_codes: string[] }).recovery_codes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);

    const active = await api(node, 'GET', '/api/account/mfa', { token: account.token });
    expect(active.body).toEqual({
      totp: { status: 'active', created_at: pending.totp!.created_at, activated_at: expect.any(String) },
      passkeys: [],
      recovery_codes_remaining: 10,
    });
    // Never the secret, nor a recovery code, after enrollment.
    const text = JSON.stringify(active.body);
    expect(text).not.toContain(enrollment.secret);
    for (const code of codes) expect(text).not.toContain(code);
  });

  it('answers 409 to a new enrollment while an app is active, and to a confirmation without one', async () => {
    const account = await newAccount();
    const none = await api(node, 'POST', '/api/account/mfa/totp/verify', {
      token: account.token,
      json: { code: '123456' },
    });
    expect(none).toMatchObject({ status: 409, body: { error: 'conflict' } });

    const enrolled = await enrolledAccount();
    const again = await api(node, 'POST', '/api/account/mfa/totp', { token: enrolled.token });
    expect(again).toMatchObject({ status: 409, body: { error: 'conflict' } });
    const confirmAgain = await api(node, 'POST', '/api/account/mfa/totp/verify', {
      token: enrolled.token,
      json: { code: await codeAt(enrolled.secret, 1) },
    });
    expect(confirmAgain).toMatchObject({ status: 409, body: { error: 'conflict' } });
  });

  it('restarting a pending enrollment replaces its secret', async () => {
    const account = await newAccount();
    const first = await startEnrollment(account.token);
    const second = await startEnrollment(account.token);
    expect(second.secret).not.toBe(first.secret);
    const old = await api(node, 'POST', '/api/account/mfa/totp/verify', {
      token: account.token,
      json: { code: await codeAt(first.secret) },
    });
    // Unless the two secrets happen to share this step's code (one in a million).
    if ((await codeAt(first.secret)) !== (await codeAt(second.secret))) expect(old.status).toBe(400);
    const current = await api(node, 'POST', '/api/account/mfa/totp/verify', {
      token: account.token,
      json: { code: await codeAt(second.secret, 1) },
    });
    expect(current.status).toBe(200);
  });

  it('of two parallel confirmations with one code, exactly one succeeds', async () => {
    const account = await newAccount();
    const { secret } = await startEnrollment(account.token);
    const code = await codeAt(secret);
    const answers = await Promise.all(
      [0, 1].map(() =>
        api(node, 'POST', '/api/account/mfa/totp/verify', { token: account.token, json: { code } }),
      ),
    );
    const [won, lost] = answers.map((a) => a.status).sort();
    expect(won).toBe(200);
    // The loser either lost the compare-and-set on the code's step (400, the code is spent) or came
    // in after the winner's commit and found no pending enrollment (409): never a second 200.
    expect([400, 409]).toContain(lost);
    expect((await summary(account.token)).recovery_codes_remaining).toBe(10);
  });

  it('names the field of a missing or mistyped code', async () => {
    const account = await newAccount();
    await startEnrollment(account.token);
    for (const json of [{}, { code: 123456 }, { code: '' }, { code: '1', extra: true }]) {
      const res = await api(node, 'POST', '/api/account/mfa/totp/verify', { token: account.token, json });
      expect(res.status).toBe(400);
      const details = (res.body as { details: Record<string, string> }).details;
      expect(Object.keys(details)).toEqual(expect.arrayContaining(['extra' in json ? 'extra' : 'code']));
    }
    const del = await api(node, 'DELETE', '/api/account/mfa/totp', { token: account.token, json: {} });
    expect(del).toMatchObject({ status: 400, body: { details: { code: expect.any(String) } } });
    expect((await summary(account.token)).totp?.status).toBe('pending');
  });
});

describe('removing the authenticator app', () => {
  it('refuses a replayed code, then takes the next one', async () => {
    const account = await newAccount();
    const { secret } = await startEnrollment(account.token);
    const code = await codeAt(secret);
    expect(
      (await api(node, 'POST', '/api/account/mfa/totp/verify', { token: account.token, json: { code } }))
        .status,
    ).toBe(200);
    const replay = await api(node, 'DELETE', '/api/account/mfa/totp', {
      token: account.token,
      json: { code },
    });
    expect(replay).toMatchObject({ status: 400, body: wrongCodeAnswer });
    expect((await summary(account.token)).totp?.status).toBe('active');

    const next = await api(node, 'DELETE', '/api/account/mfa/totp', {
      token: account.token,
      json: { code: await codeAt(secret, 1) },
    });
    expect(next.status).toBe(204);
    // The recovery codes went with the last second factor.
    expect(await summary(account.token)).toEqual({ totp: null, passkeys: [], recovery_codes_remaining: 0 });
    const gone = await api(node, 'DELETE', '/api/account/mfa/totp', {
      token: account.token,
      json: { code: await codeAt(secret, 1) },
    });
    expect(gone).toMatchObject({ status: 404, body: { error: 'not_found' } });
  });

  it('takes a recovery code, each once: spent at the password grant, refused at DELETE', async () => {
    const account = await enrolledAccount();
    const [spent, unused] = account.recoveryCodes;
    const grant = await tokenRequest(node.issuer, {
      ...passwordGrantParams({ username: account.username, scope: 'openid' }),
      otp: spent!,
    });
    expect(grant.status).toBe(200);
    expect((await summary(account.token)).recovery_codes_remaining).toBe(9);

    const again = await api(node, 'DELETE', '/api/account/mfa/totp', {
      token: account.token,
      json: { code: spent },
    });
    expect(again).toMatchObject({ status: 400, body: wrongCodeAnswer });
    expect((await summary(account.token)).totp?.status).toBe('active');

    // Typed as people type it: upper case, without the dash.
    const typed = unused!.replace('-', '').toUpperCase();
    const removed = await api(node, 'DELETE', '/api/account/mfa/totp', {
      token: account.token,
      json: { code: typed },
    });
    expect(removed.status).toBe(204);
    expect((await summary(account.token)).totp).toBeNull();
  });

  it('accepts the code as a form too (curl -d)', async () => {
    const account = await enrolledAccount();
    const res = await api(node, 'DELETE', '/api/account/mfa/totp', {
      token: account.token,
      form: { code: account.recoveryCodes[0]! },
    });
    expect(res.status).toBe(204);
  });

  it('locks after too many wrong codes: 429 with Retry-After, even for a right code', async () => {
    const account = await enrolledAccount();
    const wrong = await wrongCode(account.secret);
    // LOCKOUT_MAX_ATTEMPTS=3: two refusals, then the third failure locks.
    for (let i = 0; i < 2; i++) {
      const res = await api(node, 'DELETE', '/api/account/mfa/totp', {
        token: account.token,
        json: { code: wrong },
      });
      expect(res.status).toBe(400);
    }
    const third = await api(node, 'DELETE', '/api/account/mfa/totp', {
      token: account.token,
      json: { code: wrong },
    });
    expect(third).toMatchObject({ status: 429, body: { error: 'too_many_requests' } });
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    const right = await api(node, 'DELETE', '/api/account/mfa/totp', {
      token: account.token,
      json: { code: account.recoveryCodes[0] },
    });
    expect(right.status).toBe(429);
    expect((await summary(account.token)).totp?.status).toBe('active');
    // The same lockout as the password's: the grant refuses the name now too.
    const grant = await tokenRequest(
      node.issuer,
      passwordGrantParams({ username: account.username, scope: 'openid' }),
    );
    expect(grant.status).toBe(400);
  });
});

describe('recovery codes', () => {
  it('regenerates ten new codes; the old ones stop working', async () => {
    const account = await enrolledAccount();
    const res = await api(node, 'POST', '/api/account/mfa/recovery-codes', { token: account.token });
    expect(res.status).toBe(200);
    const fresh = (res.body as { recovery_codes: string[] }).recovery_codes;
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((c) => account.recoveryCodes.includes(c))).toEqual([]);
    const old = await api(node, 'DELETE', '/api/account/mfa/totp', {
      token: account.token,
      json: { code: account.recoveryCodes[0] },
    });
    expect(old.status).toBe(400);
    const current = await api(node, 'DELETE', '/api/account/mfa/totp', {
      token: account.token,
      json: { code: fresh[0] },
    });
    expect(current.status).toBe(204);
  });

  it('answers 409 for an account without a second factor', async () => {
    const account = await newAccount();
    const res = await api(node, 'POST', '/api/account/mfa/recovery-codes', { token: account.token });
    expect(res).toMatchObject({ status: 409, body: { error: 'conflict' } });
    await startEnrollment(account.token);
    // A pending app is no factor yet.
    const pending = await api(node, 'POST', '/api/account/mfa/recovery-codes', { token: account.token });
    expect(pending.status).toBe(409);
  });
});

describe('passkeys', () => {
  it("lists the account's passkeys and removes one; another account's is not found", async () => {
    const owner = await newAccount();
    const other = await newAccount();
    // A stored credential as a registration ceremony leaves it (the ceremony is the passkey suite's).
    await node.services.db('webauthn_credentials').insert({
      id: 'cred-api-test',
      account_id: owner.id,
      public_key: 'pQECAyYgASFYIA',
      device_type: 'multiDevice',
      backed_up: true,
      name: 'Laptop',
    });
    expect((await summary(owner.token)).passkeys).toEqual([
      {
        id: 'cred-api-test',
        name: 'Laptop',
        device_type: 'multiDevice',
        backed_up: true,
        created_at: expect.any(String),
        last_used_at: null,
      },
    ]);
    const foreign = await api(node, 'DELETE', '/api/account/mfa/passkeys/cred-api-test', {
      token: other.token,
    });
    expect(foreign).toMatchObject({ status: 404, body: { error: 'not_found' } });
    const mine = await api(node, 'DELETE', '/api/account/mfa/passkeys/cred-api-test', { token: owner.token });
    expect(mine.status).toBe(204);
    expect((await summary(owner.token)).passkeys).toEqual([]);
    const again = await api(node, 'DELETE', '/api/account/mfa/passkeys/cred-api-test', {
      token: owner.token,
    });
    expect(again.status).toBe(404);
  });
});

describe('the account scope', () => {
  it('a token without it gets 403 insufficient_scope', async () => {
    const token = await accessToken(node.issuer, 'openid profile', { username: ALICE.username });
    for (const [method, path] of [
      ['GET', '/api/account/mfa'],
      ['POST', '/api/account/mfa/totp'],
      ['POST', '/api/account/mfa/recovery-codes'],
    ] as const) {
      const res = await api(node, method, path, { token });
      expect(res).toMatchObject({
        status: 403,
        body: {
          error: 'insufficient_scope',
          error_description: "the access token lacks the scope 'account'",
        },
      });
      expect(res.headers.get('www-authenticate')).toBe(
        'Bearer realm="gatehouse", error="insufficient_scope", scope="account"',
      );
    }
    expect((await api(node, 'GET', '/api/account/mfa')).status).toBe(401);
  });

  it('a third-party client that lists it does not get it', async () => {
    const client: Required<ClientCredentials> = { id: 'third-party-mfa', secret: 'third-party-mfa-secret' };
    await node.services.clients.save({
      client_id: client.id,
      client_secret: client.secret,
      grant_types: ['password'],
      response_types: [],
      redirect_uris: [],
      scope: 'openid profile account',
    });
    const grant = await tokenRequest(
      node.issuer,
      passwordGrantParams({ username: ALICE.username, scope: 'openid account' }),
      client,
    );
    expect(grant.status).toBe(200);
    expect(grant.body.scope).toBe('openid');
    const res = await api(node, 'GET', '/api/account/mfa', { token: grant.body.access_token as string });
    expect(res).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });
  });
});
