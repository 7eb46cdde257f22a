/**
 * The provider over real HTTP with a certified relying party: discovery, client credentials,
 * introspection, revocation, password grant tokens with refresh rotation and reuse detection.
 */
import { ALICE, DEMO_SERVICE } from '../support/fixtures';
import { discover, oidc } from '../support/rp';
import { startTestServer, type TestServer } from '../support/server';

let node: TestServer;

beforeAll(async () => {
  node = await startTestServer();
});

afterAll(async () => {
  await node?.stop();
});

describe('discovery', () => {
  it('describes the configured provider', async () => {
    const res = await fetch(`${node.issuer}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const meta = (await res.json()) as Record<string, unknown>;
    expect(meta.issuer).toBe(node.issuer);
    expect(meta.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'offline_access', 'profile', 'email', 'phone', 'address', 'roles']),
    );
    expect(meta.claims_supported).toEqual(expect.arrayContaining(['sub', 'roles', 'email']));
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.grant_types_supported).toEqual(
      expect.arrayContaining([
        'authorization_code',
        'refresh_token',
        'client_credentials',
        'implicit',
        'password',
      ]),
    );
    expect(meta.response_types_supported).toEqual(
      expect.arrayContaining(['code', 'id_token', 'code id_token']),
    );
    expect(meta.introspection_endpoint).toBe(`${node.issuer}/token/introspection`);
    expect(meta.revocation_endpoint).toBe(`${node.issuer}/token/revocation`);
    expect(meta.end_session_endpoint).toBe(`${node.issuer}/session/end`);
    expect(meta.userinfo_endpoint).toBe(`${node.issuer}/me`);
  });

  it('serves RS256 and ES256 keys with distinct kids and no private members', async () => {
    const res = await fetch(`${node.issuer}/jwks`);
    const { keys } = (await res.json()) as { keys: Record<string, string>[] };
    expect(keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(new Set(keys.map((k) => k.kid)).size).toBe(keys.length);
    for (const key of keys) {
      expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(key).not.toHaveProperty('d');
      expect(key.kid).not.toBe('keystore-CHANGE-ME');
    }
  });
});

describe('client credentials, introspection and revocation', () => {
  it('issues a token that introspects as active until it is revoked', async () => {
    const rp = await discover(node.issuer, DEMO_SERVICE.id, DEMO_SERVICE.secret);
    const tokens = await oidc.clientCredentialsGrant(rp);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.expires_in).toBe(3600);

    const active = await oidc.tokenIntrospection(rp, tokens.access_token);
    expect(active.active).toBe(true);
    expect(active.client_id).toBe('demo-service');

    await oidc.tokenRevocation(rp, tokens.access_token);
    const revoked = await oidc.tokenIntrospection(rp, tokens.access_token);
    expect(revoked).toEqual({ active: false });
  });

  it('refuses a wrong client secret with invalid_client', async () => {
    const rp = await discover(node.issuer, DEMO_SERVICE.id, 'wrong-secret');
    const err = await oidc.clientCredentialsGrant(rp).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE', status: 401 });
    const [challenge] = (err as { cause: { scheme: string; parameters: Record<string, string> }[] }).cause;
    expect(challenge).toMatchObject({ scheme: 'basic', parameters: { error: 'invalid_client' } });
  });

  it('answers unknown tokens as inactive', async () => {
    const rp = await discover(node.issuer, DEMO_SERVICE.id, DEMO_SERVICE.secret);
    expect(await oidc.tokenIntrospection(rp, 'not-a-token')).toEqual({ active: false });
  });
});

describe('refresh tokens', () => {
  async function passwordTokens(rp: oidc.Configuration) {
    return oidc.genericGrantRequest(rp, 'password', {
      username: ALICE.username,
      password: ALICE.password,
      scope: 'openid offline_access profile roles',
    });
  }

  beforeAll(async () => {
    await node.services.clients.save({
      client_id: 'test-refresh',
      client_secret: 'test-refresh-secret',
      grant_types: ['password', 'refresh_token'],
      response_types: [],
      redirect_uris: [],
      scope: 'openid offline_access profile roles',
    });
  });

  it('rotates the refresh token, and reuse of an old one revokes the grant', async () => {
    const rp = await discover(node.issuer, 'test-refresh', 'test-refresh-secret');
    const first = await passwordTokens(rp);
    expect(first.refresh_token).toBeDefined();
    const claims = first.claims()!;
    expect(claims.roles).toEqual(['user']);

    const second = await oidc.refreshTokenGrant(rp, first.refresh_token!);
    expect(second.refresh_token).toBeDefined();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await oidc.tokenIntrospection(rp, second.access_token)).active).toBe(true);

    // Reusing the rotated-out token is treated as theft: the whole grant goes.
    await expect(oidc.refreshTokenGrant(rp, first.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    expect(await oidc.tokenIntrospection(rp, second.access_token)).toEqual({ active: false });
    await expect(oidc.refreshTokenGrant(rp, second.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('refuses a refresh token presented by another client', async () => {
    const rp = await discover(node.issuer, 'test-refresh', 'test-refresh-secret');
    const tokens = await passwordTokens(rp);
    await node.services.clients.save({
      client_id: 'test-other',
      client_secret: 'test-other-secret',
      grant_types: ['refresh_token', 'password'],
      response_types: [],
      redirect_uris: [],
    });
    const other = await discover(node.issuer, 'test-other', 'test-other-secret');
    await expect(oidc.refreshTokenGrant(other, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });
});

describe('health', () => {
  it('answers /healthz and /readyz with JSON', async () => {
    const health = await fetch(`${node.issuer}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${node.issuer}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'ok' });
  });
});
