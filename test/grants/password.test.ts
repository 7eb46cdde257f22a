/**
 * The password grant (RFC 6749 §4.3) over real HTTP: tokens and their ID token, scopes cut to the
 * client's, errors, one answer for unknown user, wrong password and disabled account, the lockout
 * and its expiry, and refreshing with rotation.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { ALICE, DEMO_CLI, DEMO_SERVICE } from '../support/fixtures';
import { OTP_GRANT } from '../../src/oidc/grants/names';
import { tokenRequest } from '../support/http';
import { startTestServer, type TestServer } from '../support/server';
import { decodeJwtPayload, refresh as refreshAt } from '../support/tokens';

const LOCKOUT_SECONDS = 2;
let node: TestServer;

beforeAll(async () => {
  node = await startTestServer({ env: { LOCKOUT_DURATION: String(LOCKOUT_SECONDS) } });
  await node.services.clients.save({
    client_id: 'test-narrow',
    client_secret: 'test-narrow-secret',
    grant_types: ['password', 'refresh_token'],
    response_types: [],
    redirect_uris: [],
    scope: 'openid profile',
  });
});

afterAll(async () => {
  await node?.stop();
});

const alice = { grant_type: 'password', username: ALICE.username, password: ALICE.password };

async function createUser(username: string, options: { disabled?: boolean } = {}) {
  return node.services.accounts.create({
    username,
    password: `${username}-pass`,
    email: `${username}@example.com`,
    ...options,
  });
}

describe('password grant', () => {
  it('issues an access token, a signed ID token for the client and a refresh token', async () => {
    const res = await tokenRequest(node.issuer, { ...alice, scope: 'openid offline_access profile' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(res.body).sort()).toEqual([
      'access_token',
      'expires_in',
      'id_token',
      'refresh_token',
      'scope',
      'token_type',
    ]);
    expect(res.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'openid offline_access profile',
    });

    const jwks = createRemoteJWKSet(new URL(`${node.issuer}/jwks`));
    const { payload } = await jwtVerify(res.body.id_token as string, jwks, {
      issuer: node.issuer,
      audience: 'demo-cli',
    });
    expect(payload.sub).toBe('6f1f4b5e-7d51-4d8a-9a0e-1d0c6a1f0002');
    expect(payload.amr).toEqual(['pwd']);
    expect(typeof payload.auth_time).toBe('number');
    expect(payload.preferred_username).toBe('alice');
    expect(payload.email).toBeUndefined();

    const me = await fetch(`${node.issuer}/me`, {
      headers: { authorization: `Bearer ${res.body.access_token}` },
    });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ sub: payload.sub, preferred_username: 'alice' });
  });

  it('issues neither an ID token without openid nor a refresh token without offline_access', async () => {
    const res = await tokenRequest(node.issuer, { ...alice, scope: 'profile' });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('profile');
    expect(res.body).not.toHaveProperty('id_token');
    expect(res.body).not.toHaveProperty('refresh_token');
  });

  it("cuts the requested scopes to the client's", async () => {
    const res = await tokenRequest(
      node.issuer,
      { ...alice, scope: 'openid profile email offline_access roles unknown' },
      { id: 'test-narrow', secret: 'test-narrow-secret' },
    );
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('openid profile');
    expect(res.body).not.toHaveProperty('refresh_token');
    const claims = decodeJwtPayload(res.body.id_token as string);
    expect(claims.email).toBeUndefined();
    expect(claims.roles).toBeUndefined();
  });

  it('answers unauthorized_client to a client that does not list the grant', async () => {
    const client = DEMO_SERVICE;
    expect((await tokenRequest(node.issuer, alice, client)).body).toEqual({
      error: 'unauthorized_client',
      error_description: 'the client is not allowed to use this grant type',
    });
    const otp = await tokenRequest(
      node.issuer,
      { grant_type: OTP_GRANT, username: 'alice', otp: '123456' },
      client,
    );
    expect(otp.status).toBe(400);
    expect(otp.body.error).toBe('unauthorized_client');
  });

  it('leaves the other errors of the token endpoint as they are', async () => {
    const wrongSecret = await tokenRequest(node.issuer, alice, { id: 'demo-cli', secret: 'wrong' });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body.error).toBe('invalid_client');
    const unsupported = await tokenRequest(node.issuer, { ...alice, grant_type: 'urn:example:unknown' });
    expect(unsupported.body.error).toBe('unsupported_grant_type');
  });

  it.each([
    [{ grant_type: 'password', password: ALICE.password }, 'username'],
    [{ grant_type: 'password', username: 'alice' }, 'password'],
    [{ grant_type: 'password', username: '', password: ALICE.password }, 'username'],
  ])('answers invalid_request naming the missing parameter (%j)', async (params, name) => {
    const res = await tokenRequest(node.issuer, params);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'invalid_request',
      error_description: `missing required parameter '${name}'`,
    });
  });

  it('answers an unknown user, a wrong password, a disabled account and an over-long name alike', async () => {
    await createUser('dora', { disabled: true });
    const wrongPassword = await tokenRequest(node.issuer, { ...alice, username: 'admin', password: 'nope' });
    const unknownUser = await tokenRequest(node.issuer, {
      ...alice,
      username: 'nobody-here',
      password: 'nope',
    });
    const disabled = await tokenRequest(node.issuer, { ...alice, username: 'dora', password: 'dora-pass' });
    const overLong = await tokenRequest(node.issuer, { ...alice, username: 'x'.repeat(300) });
    for (const res of [wrongPassword, unknownUser, disabled, overLong]) {
      expect(res.status).toBe(400);
      expect(res.text).toBe(wrongPassword.text);
    }
    expect(wrongPassword.body).toEqual({
      error: 'invalid_grant',
      error_description: 'grant request is invalid',
    });
  });

  it('locks a name after five failures and lets it in again when the lock expires', async () => {
    await createUser('lucy');
    const wrong = { grant_type: 'password', username: 'lucy', password: 'wrong' };
    const right = { ...wrong, password: 'lucy-pass' };
    for (let i = 0; i < 4; i += 1) expect((await tokenRequest(node.issuer, wrong)).status).toBe(400);
    // Four failures: not yet locked.
    expect((await tokenRequest(node.issuer, right)).status).toBe(200);

    for (let i = 0; i < 5; i += 1) expect((await tokenRequest(node.issuer, wrong)).status).toBe(400);
    const locked = await tokenRequest(node.issuer, right);
    expect(locked.status).toBe(400);
    expect(locked.body).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });

    await new Promise((resolve) => setTimeout(resolve, LOCKOUT_SECONDS * 1000 + 500));
    const after = await tokenRequest(node.issuer, right);
    expect(after.status).toBe(200);
  });

  it('locks unknown names as well, so a lock tells nothing', async () => {
    const ghost = { grant_type: 'password', username: 'ghost', password: 'wrong' };
    const answers = [];
    for (let i = 0; i < 6; i += 1) answers.push(await tokenRequest(node.issuer, ghost));
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
  });

  it('issues refresh tokens that rotate, and a reused one revokes the grant', async () => {
    const first = await tokenRequest(node.issuer, { ...alice, scope: 'openid offline_access' });
    const refresh = (token: unknown) => refreshAt(node.issuer, token as string);
    const second = await refresh(first.body.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).toEqual(expect.any(String));
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    expect(decodeJwtPayload(second.body.id_token as string).sub).toBe('6f1f4b5e-7d51-4d8a-9a0e-1d0c6a1f0002');

    expect((await refresh(first.body.refresh_token)).body.error).toBe('invalid_grant');
    expect((await refresh(second.body.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('uses the client registration scope when none is requested', async () => {
    const res = await tokenRequest(node.issuer, alice, DEMO_CLI);
    expect(res.status).toBe(200);
    expect((res.body.scope as string).split(' ')).toEqual(
      expect.arrayContaining(['openid', 'offline_access', 'roles']),
    );
  });
});

describe('discovery', () => {
  it('lists both extension grants in grant_types_supported', async () => {
    const meta = (await (await fetch(`${node.issuer}/.well-known/openid-configuration`)).json()) as {
      grant_types_supported: string[];
    };
    expect(meta.grant_types_supported).toEqual(
      expect.arrayContaining(['password', OTP_GRANT, 'refresh_token']),
    );
  });
});
