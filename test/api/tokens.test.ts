/**
 * Bearer authentication of the API and POST /api/validate-token, over real HTTP with tokens from the
 * real grants: missing, unknown, revoked, grant-revoked, disabled, sender-constrained and expired
 * tokens, scope checks, and the two validation modes (bearer; client credentials or X-Service-Key).
 */
import { ALICE, DEMO_SERVICE, DEMO_SERVICE_KEY } from '../support/fixtures';
import { basic, revoke } from '../support/http';
import { clientCredentialsToken, mintAccessToken as mint } from '../support/tokens';
import {
  TEST_CLIENT_SCOPE,
  accessToken,
  api,
  passwordTokens,
  startApiNode,
  testClient,
  type ApiNode,
} from './support';

let node: ApiNode;

beforeAll(async () => {
  node = await startApiNode();
});

afterAll(async () => {
  await node?.stop();
});

const INVALID_TOKEN = {
  error: 'invalid_token',
  error_description: 'the access token is invalid, expired or revoked',
};
const INVALID_CHALLENGE = 'Bearer realm="gatehouse", error="invalid_token"';

async function expectInvalid(token: string): Promise<void> {
  const res = await api(node, 'GET', '/api/profile', { token });
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toBe(INVALID_CHALLENGE);
  expect(res.body).toEqual(INVALID_TOKEN);
}

/** Mints a token through the provider's own model, for properties no grant here issues. */
function mintAccessToken(extra: Record<string, unknown>): Promise<string> {
  return mint(node.provider, { accountId: ALICE.id, clientId: 'test-api', scope: 'openid profile', extra });
}

/** RFC 7009 revocation at the provider's own endpoint, by the token's client (test-api). */
async function revokeAtProvider(token: string): Promise<number> {
  return (await revoke(node.issuer, token, testClient())).status;
}

describe('bearer authentication', () => {
  it('answers 401 with a bare challenge when there is no token (RFC 6750 §3.1)', async () => {
    const res = await api(node, 'GET', '/api/profile');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');
    expect(res.body).toEqual({
      error: 'invalid_token',
      error_description: 'a bearer access token is required',
    });
  });

  it('answers 401 invalid_token for unknown tokens, other schemes, refresh and ID tokens', async () => {
    await expectInvalid('not-a-token');
    const tokens = await passwordTokens(node, { scope: 'openid offline_access profile' });
    await expectInvalid(tokens.refresh_token!);
    await expectInvalid(tokens.id_token!);
    const res = await api(node, 'GET', '/api/profile', { headers: { authorization: basic('a', 'b') } });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(INVALID_TOKEN);
  });

  it('refuses a client credentials token (no account)', async () => {
    const token = await clientCredentialsToken(node.issuer, DEMO_SERVICE);
    await expectInvalid(token);
  });

  it('stops accepting a token revoked at /token/revocation at once', async () => {
    const token = await accessToken(node, 'openid profile');
    expect((await api(node, 'GET', '/api/profile', { token })).status).toBe(200);
    expect(await revokeAtProvider(token)).toBe(200);
    await expectInvalid(token);
  });

  it('stops accepting an access token when its grant is revoked (refresh token revoked)', async () => {
    const tokens = await passwordTokens(node, { scope: 'openid offline_access profile' });
    expect((await api(node, 'GET', '/api/profile', { token: tokens.access_token })).status).toBe(200);
    // RFC 7009 §2.1: revoking a refresh token revokes the grant, and so its access tokens.
    expect(await revokeAtProvider(tokens.refresh_token!)).toBe(200);
    await expectInvalid(tokens.access_token);
  });

  it('stops accepting tokens of a disabled account, and of a deleted client', async () => {
    const account = await node.services.accounts.create({
      username: 'dora',
      password: 'password123',
      roles: [],
    });
    const token = await accessToken(node, 'profile', 'dora');
    await node.services.accounts.setDisabled(account.id, true);
    await expectInvalid(token);
    await node.services.accounts.setDisabled(account.id, false);
    // Disabling revoked the token for good; a new sign-in gets a new one.
    await expectInvalid(token);
    expect(
      (await api(node, 'GET', '/api/profile', { token: await accessToken(node, 'profile', 'dora') })).status,
    ).toBe(200);

    await node.services.clients.save({
      client_id: 'test-api-doomed',
      client_secret: 'test-api-doomed-secret',
      grant_types: ['password'],
      response_types: [],
      redirect_uris: [],
      scope: TEST_CLIENT_SCOPE,
    });
    const doomed = await passwordTokens(node, { scope: 'profile', clientId: 'test-api-doomed' });
    expect((await api(node, 'GET', '/api/profile', { token: doomed.access_token })).status).toBe(200);
    await node.services.clients.delete('test-api-doomed');
    await expectInvalid(doomed.access_token);
  });

  it('refuses a DPoP-bound token presented without proof, and an expired token', async () => {
    expect((await api(node, 'GET', '/api/profile', { token: await mintAccessToken({}) })).status).toBe(200);
    // RFC 9449 §7.1: the challenge of a DPoP-bound token presented as a bearer token is DPoP's.
    const bound = await api(node, 'GET', '/api/profile', {
      token: await mintAccessToken({ jkt: 'l0SaY2ddlYPZCapI4IqdP4MwZXEjbXt9Ip0Is4T3mD0' }),
    });
    expect(bound.status).toBe(401);
    expect(bound.headers.get('www-authenticate')).toMatch(/^DPoP realm="gatehouse", error="invalid_token"/);
    expect(bound.body).toEqual(INVALID_TOKEN);
    const shortLived = await mintAccessToken({ expiresIn: 1 });
    expect((await api(node, 'GET', '/api/profile', { token: shortLived })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await expectInvalid(shortLived);
  });
});

describe('POST /api/validate-token with a bearer token', () => {
  it('answers active with sub, client_id, scope, exp and roles', async () => {
    const token = await accessToken(node, 'openid roles');
    const res = await api(node, 'POST', '/api/validate-token', { token });
    expect(res.status).toBe(200);
    const { exp } = res.body as { exp: number };
    expect(exp).toBeGreaterThan(Date.now() / 1000 + 3500);
    expect(res.body).toEqual({
      active: true,
      sub: ALICE.id,
      client_id: 'test-api',
      scope: 'openid roles',
      exp,
      roles: ['user'],
    });
  });

  it('leaves roles out when the token does not carry scope roles', async () => {
    const token = await accessToken(node, 'openid');
    const res = await api(node, 'POST', '/api/validate-token', { token });
    expect(res.body).toEqual({
      active: true,
      sub: ALICE.id,
      client_id: 'test-api',
      scope: 'openid',
      exp: (res.body as { exp: number }).exp,
    });
  });

  it('answers 401 {active: false} for an invalid or revoked bearer token', async () => {
    const token = await accessToken(node, 'openid');
    await revokeAtProvider(token);
    for (const value of [token, 'garbage']) {
      const res = await api(node, 'POST', '/api/validate-token', { token: value });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(INVALID_CHALLENGE);
      expect(res.body).toEqual({ active: false });
    }
  });

  it('answers 401 without any credentials', async () => {
    const res = await api(node, 'POST', '/api/validate-token');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error: 'invalid_token',
      error_description: 'a bearer access token is required',
    });
  });
});

describe('POST /api/validate-token for a resource server', () => {
  const asTestApi = { authorization: basic('test-api-other', 'test-api-other-secret') };

  it("validates another client's token for a confidential client (Basic), JSON or form", async () => {
    const token = await accessToken(node, 'openid profile roles');
    const json = await api(node, 'POST', '/api/validate-token', { headers: asTestApi, json: { token } });
    expect(json.status).toBe(200);
    expect(json.body).toEqual({
      active: true,
      sub: ALICE.id,
      client_id: 'test-api',
      scope: 'openid profile roles',
      exp: (json.body as { exp: number }).exp,
      roles: ['user'],
    });
    const form = await api(node, 'POST', '/api/validate-token', { headers: asTestApi, form: { token } });
    expect(form.body).toEqual(json.body);
  });

  it('answers 200 {active: false} for revoked, unknown and refresh tokens', async () => {
    const tokens = await passwordTokens(node, { scope: 'openid offline_access' });
    await revokeAtProvider(tokens.access_token);
    for (const token of [tokens.access_token, 'garbage', tokens.refresh_token!]) {
      const res = await api(node, 'POST', '/api/validate-token', { headers: asTestApi, json: { token } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ active: false });
    }
  });

  it('validates a client credentials token (no sub)', async () => {
    const token = await clientCredentialsToken(node.issuer, DEMO_SERVICE);
    const checked = await api(node, 'POST', '/api/validate-token', { headers: asTestApi, json: { token } });
    expect(checked.body).toEqual({
      active: true,
      client_id: 'demo-service',
      exp: (checked.body as { exp: number }).exp,
    });
  });

  it('accepts X-Service-Key, and refuses a revoked key', async () => {
    const token = await accessToken(node, 'openid');
    const ok = await api(node, 'POST', '/api/validate-token', {
      headers: { 'x-service-key': DEMO_SERVICE_KEY },
      json: { token },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ active: true, sub: ALICE.id, client_id: 'test-api' });

    const { key, serviceKey } = await node.services.serviceKeys.create('test-api-other');
    await node.services.serviceKeys.revoke(serviceKey.id);
    const revoked = await api(node, 'POST', '/api/validate-token', {
      headers: { 'x-service-key': key },
      json: { token },
    });
    expect(revoked.status).toBe(401);
    expect(revoked.body).toEqual({
      error: 'invalid_client',
      error_description: 'client authentication failed',
    });
  });

  it('lets a public client (by its service key) see only its own tokens', async () => {
    const { key } = await node.services.serviceKeys.create('test-api-public');
    const own = await passwordTokens(node, { scope: 'openid', clientId: 'test-api-public' });
    const other = await accessToken(node, 'openid');
    const headers = { 'x-service-key': key };
    const ownRes = await api(node, 'POST', '/api/validate-token', {
      headers,
      json: { token: own.access_token },
    });
    expect(ownRes.body).toMatchObject({ active: true, client_id: 'test-api-public' });
    const otherRes = await api(node, 'POST', '/api/validate-token', { headers, json: { token: other } });
    expect(otherRes.body).toEqual({ active: false });
  });

  it('answers 401 invalid_client for a wrong secret, an unknown client, a public client and no credentials', async () => {
    const token = await accessToken(node, 'openid');
    for (const authorization of [
      basic('test-api-other', 'wrong'),
      basic('nobody', 'secret'),
      basic('test-api-public', 'anything'),
      undefined,
    ]) {
      const res = await api(node, 'POST', '/api/validate-token', {
        headers: authorization ? { authorization } : {},
        json: { token },
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="gatehouse"');
      expect(res.body).toEqual({
        error: 'invalid_client',
        error_description: 'client authentication failed',
      });
    }
  });

  it('answers 400 with details when the token parameter is missing or a field is unknown', async () => {
    const missing = await api(node, 'POST', '/api/validate-token', { headers: asTestApi, json: {} });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      error: 'invalid_request',
      error_description: 'the request is invalid',
      details: { token: 'is required' },
    });
    const unknown = await api(node, 'POST', '/api/validate-token', {
      headers: asTestApi,
      json: { token: 'x', client_secret: 'x' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({
      error: 'invalid_request',
      error_description: 'the request is invalid',
      details: { client_secret: 'unknown field' },
    });
  });
});
