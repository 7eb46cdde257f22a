/**
 * The administrators' side of second factors: GET and DELETE /api/admin/users/:id/mfa (the reset
 * removes every factor and revokes the account's tokens, audited in the log), and MFA_REQUIRED_ROLES
 * closing the admin API to tokens of a one-factor sign-in (RFC 9470).
 */
import pino from 'pino';
import { generate } from 'otplib';
import { ACR_ONE_FACTOR } from '../../src/accounts/mfa/methods';
import type { Logger } from '../../src/log';
import { ADMIN, DEMO_CLI, TEST_PASSWORD } from '../support/fixtures';
import { isActive, tokenRequest } from '../support/http';
import { accessToken, mintAccessToken, passwordGrantParams } from '../support/tokens';
import { api, startApiNode, type ApiNode } from './support';

const now = () => Math.floor(Date.now() / 1000);
const codeAt = (secret: string, offset = 0) => generate({ secret, epoch: now() + offset * 30 });

/** Keeps every line the node's logger writes (instead of printing it), from now on at level info. */
function tapLogs(logger: Logger): { lines: () => Record<string, unknown>[] } {
  const stream = (logger as unknown as Record<symbol, { write(s: string): boolean }>)[
    pino.symbols.streamSym
  ]!;
  const kept: string[] = [];
  stream.write = (s: string) => {
    for (const line of s.split('\n')) if (line) kept.push(line);
    return true;
  };
  logger.level = 'info';
  return { lines: () => kept.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

let named = 0;
async function newAccount(node: ApiNode, roles: string[] = []) {
  named += 1;
  return node.services.accounts.create({ username: `mfa-admin-${named}`, password: TEST_PASSWORD, roles });
}

/** Enrolls an authenticator app through the store the account API uses; returns its secret. */
async function enrollTotp(node: ApiNode, account: { id: string; username: string }): Promise<string> {
  const enrollment = await node.services.mfa.startTotp(account);
  expect(await node.services.mfa.confirmTotp(account.id, await codeAt(enrollment!.secret))).toHaveLength(10);
  return enrollment!.secret;
}

describe('GET and DELETE /api/admin/users/:id/mfa', () => {
  let node: ApiNode;
  let admin: string;
  let adminId: string;

  beforeAll(async () => {
    node = await startApiNode();
    admin = await accessToken(node.issuer, 'admin', { username: ADMIN.username });
    adminId = (await node.services.accounts.findByUsername(ADMIN.username))!.id;
  });

  afterAll(async () => {
    await node?.stop();
  });

  it('shows the factors, resets them, revokes the tokens, and logs who did it', async () => {
    const logs = tapLogs(node.services.logger);
    const account = await newAccount(node);
    // A token from before the enrollment (no otp was needed then), one for the account API.
    const before = await accessToken(node.issuer, 'openid account', { username: account.username });
    const { secret } = (await api(node, 'POST', '/api/account/mfa/totp', { token: before })).body as {
      secret: string;
    };
    const verified = await api(node, 'POST', '/api/account/mfa/totp/verify', {
      token: before,
      json: { code: await codeAt(secret) },
    });
    expect(verified.status).toBe(200);
    // A token of a two-factor sign-in, with the next step's code.
    const grant = await tokenRequest(node.issuer, {
      ...passwordGrantParams({ username: account.username, scope: 'openid' }),
      otp: await codeAt(secret, 1),
    });
    expect(grant.status).toBe(200);
    const after = grant.body.access_token as string;

    const shown = await api(node, 'GET', `/api/admin/users/${account.id}/mfa`, { token: admin });
    expect(shown).toMatchObject({
      status: 200,
      body: {
        totp: { status: 'active', created_at: expect.any(String), activated_at: expect.any(String) },
        passkeys: [],
        recovery_codes_remaining: 10,
      },
    });
    expect(JSON.stringify(shown.body)).not.toContain(secret);
    expect(await isActive(node.issuer, before)).toBe(true);
    expect(await isActive(node.issuer, after)).toBe(true);

    const reset = await api(node, 'DELETE', `/api/admin/users/${account.id}/mfa`, { token: admin });
    expect(reset.status).toBe(204);
    expect(await isActive(node.issuer, before)).toBe(false);
    expect(await isActive(node.issuer, after)).toBe(false);
    expect((await api(node, 'GET', `/api/admin/users/${account.id}/mfa`, { token: admin })).body).toEqual({
      totp: null,
      passkeys: [],
      recovery_codes_remaining: 0,
    });
    // The password alone signs in again.
    const password = await tokenRequest(
      node.issuer,
      passwordGrantParams({ username: account.username, scope: 'openid' }),
    );
    expect(password.status).toBe(200);

    const audit = logs.lines().filter((l) => l.event === 'mfa.reset');
    expect(audit).toEqual([
      expect.objectContaining({ level: 30, event: 'mfa.reset', account_id: account.id, actor: adminId }),
    ]);
    // No secret and no code in the log.
    expect(JSON.stringify(logs.lines())).not.toContain(secret);
  });

  it('answers 404 for an unknown user', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await api(node, method, '/api/admin/users/00000000-0000-4000-8000-000000000000/mfa', {
        token: admin,
      });
      expect(res).toMatchObject({
        status: 404,
        body: { error: 'not_found', error_description: 'no such user' },
      });
    }
  });

  it('is closed to tokens without the admin scope', async () => {
    const account = await newAccount(node);
    const token = await accessToken(node.issuer, 'openid account', { username: ADMIN.username });
    const res = await api(node, 'DELETE', `/api/admin/users/${account.id}/mfa`, { token });
    expect(res).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });
  });
});

describe('with MFA_REQUIRED_ROLES=admin', () => {
  let node: ApiNode;

  beforeAll(async () => {
    node = await startApiNode({ MFA_REQUIRED_ROLES: 'admin' });
  });

  afterAll(async () => {
    await node?.stop();
  });

  it('refuses an admin token of a password-only sign-in with insufficient_user_authentication', async () => {
    const operator = await newAccount(node, ['admin']);
    // The grant itself refuses the password alone for this role now...
    const refused = await tokenRequest(
      node.issuer,
      passwordGrantParams({ username: operator.username, scope: 'openid admin' }),
    );
    expect(refused).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'a second factor is required' },
    });
    // ...so the token a password-only grant issued (amr ["pwd"], as before the setting) is minted.
    const token = await mintAccessToken(node.provider, {
      accountId: operator.id,
      clientId: DEMO_CLI.id,
      scope: 'openid admin',
      extra: { extra: { amr: ['pwd'], acr: ACR_ONE_FACTOR } },
    });
    const res = await api(node, 'GET', '/api/admin/users', { token });
    expect(res).toMatchObject({
      status: 401,
      body: {
        error: 'insufficient_user_authentication',
        error_description: 'a sign-in with a second factor is required',
      },
    });
    expect(res.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="gatehouse", error="insufficient_user_authentication", .*acr_values="urn:gatehouse:acr:mfa"$/,
    );
    const reset = await api(node, 'DELETE', `/api/admin/users/${operator.id}/mfa`, { token });
    expect(reset.status).toBe(401);
  });

  it('takes the token of an admin who signed in with the password grant and otp', async () => {
    const operator = await newAccount(node, ['admin']);
    const secret = await enrollTotp(node, operator);
    const grant = await tokenRequest(node.issuer, {
      ...passwordGrantParams({ username: operator.username, scope: 'openid admin' }),
      otp: await codeAt(secret, 1),
    });
    expect(grant.status).toBe(200);
    const token = grant.body.access_token as string;
    const users = await api(node, 'GET', '/api/admin/users', { token });
    expect(users.status).toBe(200);
    const target = await newAccount(node);
    await enrollTotp(node, target);
    const shown = await api(node, 'GET', `/api/admin/users/${target.id}/mfa`, { token });
    expect(shown).toMatchObject({ status: 200, body: { totp: { status: 'active' } } });
    expect((await api(node, 'DELETE', `/api/admin/users/${target.id}/mfa`, { token })).status).toBe(204);
  });
});
