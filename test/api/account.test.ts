/**
 * /api/account (the profile under the account scope) and POST /api/account/password through real
 * HTTP, every answer checked against the node's OpenAPI document (api()). A password change is seen
 * from two "devices": a browser signed in through the authorization code flow, and a password grant.
 * Each test makes its own account: the lockout is per name.
 */
import { DEMO_CLI, TEST_PASSWORD } from '../support/fixtures';
import { isActive } from '../support/http';
import type { oidc } from '../support/rp';
import { passwordGrant, passwordTokens, refresh } from '../support/tokens';
import { newAccount, registerAccountApp, signInWithBrowser, silentSignIn } from './account-devices';
import { api, startApiNode, type ApiNode } from './support';

let node: ApiNode;
let app: oidc.Configuration;

beforeAll(async () => {
  node = await startApiNode({ LOCKOUT_MAX_ATTEMPTS: '3', PASSWORD_MIN_LENGTH: '10' });
  app = await registerAccountApp(node);
});

afterAll(async () => {
  await node?.stop();
});

const NEW_PASSWORD = 'a new password, long enough';

/** A token of the account from demo-cli's password grant (a first-party client). */
async function grantTokens(
  username: string,
  scope = 'openid offline_access account',
  password = TEST_PASSWORD,
) {
  return passwordTokens(node.issuer, { username, password, scope });
}

function changePassword(token: string, json: unknown) {
  return api(node, 'POST', '/api/account/password', { token, json });
}

describe('GET and PUT /api/account', () => {
  it('answers the profile, as /api/profile does', async () => {
    const { username } = await newAccount(node, 'acct');
    const { access_token: token } = await grantTokens(username, 'openid profile account');
    const res = await api(node, 'GET', '/api/account', { token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual((await api(node, 'GET', '/api/profile', { token })).body);
    expect(res.body).toMatchObject({ username, email: null, email_verified: false, roles: [] });
  });

  it('updates the profile; a changed email becomes unverified', async () => {
    const { id, username } = await newAccount(node, 'acct');
    await node.services.accounts.updateProfile(id, { email: 'old@example.com', emailVerified: true });
    const { access_token: token } = await grantTokens(username);

    const same = await api(node, 'PUT', '/api/account', {
      token,
      json: { given_name: 'Ada', email: 'old@example.com' },
    });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ given_name: 'Ada', email: 'old@example.com', email_verified: true });

    const changed = await api(node, 'PUT', '/api/account', { token, json: { email: 'new@example.com' } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      given_name: 'Ada',
      email: 'new@example.com',
      email_verified: false,
    });
    expect(await node.services.accounts.findById(id)).toMatchObject({
      email: 'new@example.com',
      emailVerified: false,
    });
  });

  it('refuses bad input naming the field, an empty body and unknown fields', async () => {
    const { username } = await newAccount(node, 'acct');
    const { access_token: token } = await grantTokens(username);
    const bad = await api(node, 'PUT', '/api/account', { token, json: { email: 'not an address' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'invalid_request', details: { email: expect.any(String) } });
    const unknown = await api(node, 'PUT', '/api/account', { token, json: { username: 'other' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ details: { username: expect.any(String) } });
    expect((await api(node, 'PUT', '/api/account', { token, json: {} })).status).toBe(400);
  });

  it('needs the account scope', async () => {
    const { username } = await newAccount(node, 'acct');
    const { access_token: token } = await grantTokens(username, 'openid profile');
    for (const [method, json] of [
      ['GET', undefined],
      ['PUT', { given_name: 'X' }],
    ] as const) {
      const res = await api(node, method, '/api/account', { token, json });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ error: 'insufficient_scope' });
    }
    const res = await changePassword(token, { current_password: TEST_PASSWORD, new_password: NEW_PASSWORD });
    expect(res.status).toBe(403);
  });
});

describe('POST /api/account/password', () => {
  it("revokes every other device's tokens and session; the caller's token and session stay", async () => {
    const { username } = await newAccount(node, 'pw');
    // The caller: a browser signed in through the code flow, its token from that session.
    const caller = await signInWithBrowser(app, { username, userAgent: 'Caller/1.0' });
    // Other devices: another browser, and a password grant with a refresh token.
    const laptop = await signInWithBrowser(app, { username, userAgent: 'Laptop/2.0' });
    const cli = await grantTokens(username);
    expect(cli.refresh_token).toBeDefined();
    for (const token of [caller.accessToken, laptop.accessToken, cli.access_token])
      expect(await isActive(node.issuer, token)).toBe(true);

    const res = await changePassword(caller.accessToken, {
      current_password: TEST_PASSWORD,
      new_password: NEW_PASSWORD,
    });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();

    expect(await isActive(node.issuer, cli.access_token)).toBe(false);
    expect(await isActive(node.issuer, cli.refresh_token!)).toBe(false);
    expect(await refresh(node.issuer, cli.refresh_token!)).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
    expect(await isActive(node.issuer, laptop.accessToken)).toBe(false);
    expect(await silentSignIn(laptop.browser, app)).toBe('login_required');

    expect(await isActive(node.issuer, caller.accessToken)).toBe(true);
    expect((await api(node, 'GET', '/api/account', { token: caller.accessToken })).status).toBe(200);
    expect(await silentSignIn(caller.browser, app)).toBe('code');

    expect(
      (await passwordGrant(node.issuer, { username, password: TEST_PASSWORD, scope: 'openid' })).status,
    ).toBe(400);
    expect(
      (await passwordGrant(node.issuer, { username, password: NEW_PASSWORD, scope: 'openid' })).status,
    ).toBe(200);
  });

  it("keeps a password grant caller's own grant, refresh token included", async () => {
    const { username } = await newAccount(node, 'pw');
    const caller = await grantTokens(username);
    const other = await grantTokens(username);
    const res = await changePassword(caller.access_token, {
      current_password: TEST_PASSWORD,
      new_password: NEW_PASSWORD,
    });
    expect(res.status).toBe(204);
    expect(await isActive(node.issuer, other.access_token)).toBe(false);
    expect(await isActive(node.issuer, caller.access_token)).toBe(true);
    expect((await refresh(node.issuer, caller.refresh_token!, DEMO_CLI)).status).toBe(200);
  });

  it('refuses a wrong current password, counted toward the lockout like a sign-in', async () => {
    const { id, username } = await newAccount(node, 'pw');
    const { access_token: token } = await grantTokens(username);
    const wrong = { current_password: 'not the password', new_password: NEW_PASSWORD };
    for (let attempt = 1; attempt < 3; attempt += 1) {
      const res = await changePassword(token, wrong);
      expect(res).toMatchObject({
        status: 400,
        body: {
          error: 'invalid_request',
          error_description: 'the current password is not correct',
          details: { current_password: 'is not the current password' },
        },
      });
    }
    // LOCKOUT_MAX_ATTEMPTS=3: the third wrong password locks the name.
    const locked = await changePassword(token, wrong);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked.body).toMatchObject({ error: 'too_many_requests' });
    // Locked for every way in: the right password here, and a sign-in through the password grant.
    const right = await changePassword(token, {
      current_password: TEST_PASSWORD,
      new_password: NEW_PASSWORD,
    });
    expect(right.status).toBe(429);
    expect(
      (await passwordGrant(node.issuer, { username, password: TEST_PASSWORD, scope: 'openid' })).status,
    ).toBe(400);
    await node.services.accounts.throttle.reset(username);
    expect(await node.services.accounts.authenticate(username, TEST_PASSWORD)).toMatchObject({
      ok: true,
      account: { id },
    });
  });

  it('refuses a new password against the rules, before looking at the current one', async () => {
    const { username } = await newAccount(node, 'pw');
    const { access_token: token } = await grantTokens(username);
    // Under the schema's floor of 8 characters.
    const short = await changePassword(token, { current_password: 'wrong', new_password: 'short' });
    expect(short).toMatchObject({ status: 400, body: { details: { new_password: expect.any(String) } } });
    expect(Object.keys((short.body as { details: object }).details)).toEqual(['new_password']);
    // Over the floor, under PASSWORD_MIN_LENGTH=10: the store's rule, named as the field.
    const nine = await changePassword(token, { current_password: 'wrong', new_password: 'ninechars' });
    expect(nine).toMatchObject({
      status: 400,
      body: { details: { new_password: 'must be at least 10 characters' } },
    });
    // Neither counted as a wrong password: three more wrong ones are needed for the lock.
    const wrong = { current_password: 'wrong', new_password: NEW_PASSWORD };
    expect((await changePassword(token, wrong)).status).toBe(400);
    expect((await changePassword(token, wrong)).status).toBe(400);
    expect((await changePassword(token, wrong)).status).toBe(429);
  });

  it('refuses missing, junk and unknown fields, naming them', async () => {
    const { username } = await newAccount(node, 'pw');
    const { access_token: token } = await grantTokens(username);
    const missing = await changePassword(token, { new_password: NEW_PASSWORD });
    expect(missing).toMatchObject({
      status: 400,
      body: { details: { current_password: expect.any(String) } },
    });
    const junk = await changePassword(token, { current_password: 42, new_password: ['x'] });
    expect(junk).toMatchObject({
      status: 400,
      body: { details: { current_password: expect.any(String), new_password: expect.any(String) } },
    });
    const extra = await changePassword(token, {
      current_password: TEST_PASSWORD,
      new_password: NEW_PASSWORD,
      username: 'someone',
    });
    expect(extra).toMatchObject({ status: 400, body: { details: { username: expect.any(String) } } });
    const nul = await changePassword(token, { current_password: 'a\u0000b', new_password: NEW_PASSWORD });
    expect(nul.status).toBe(400);
    // Nothing changed: the old password still signs in.
    expect(
      (await passwordGrant(node.issuer, { username, password: TEST_PASSWORD, scope: 'openid' })).status,
    ).toBe(200);
  });

  it('lets one of two concurrent changes with the same current password win', async () => {
    const { username } = await newAccount(node, 'pw');
    const first = await grantTokens(username);
    const second = await grantTokens(username);
    const answers = await Promise.all([
      changePassword(first.access_token, {
        current_password: TEST_PASSWORD,
        new_password: `${NEW_PASSWORD} 1`,
      }),
      changePassword(second.access_token, {
        current_password: TEST_PASSWORD,
        new_password: `${NEW_PASSWORD} 2`,
      }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([204, 400]);
    const winner = answers[0]!.status === 204 ? 1 : 2;
    expect(
      (await passwordGrant(node.issuer, { username, password: `${NEW_PASSWORD} ${winner}`, scope: 'openid' }))
        .status,
    ).toBe(200);
    expect(
      (
        await passwordGrant(node.issuer, {
          username,
          password: `${NEW_PASSWORD} ${3 - winner}`,
          scope: 'openid',
        })
      ).status,
    ).toBe(400);
    // The winner's token stays; the loser's went with the winner's change.
    const [winnerToken, loserToken] =
      winner === 1 ? [first.access_token, second.access_token] : [second.access_token, first.access_token];
    expect(await isActive(node.issuer, winnerToken)).toBe(true);
    expect(await isActive(node.issuer, loserToken)).toBe(false);
  });
});
