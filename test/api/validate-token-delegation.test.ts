/**
 * POST /api/validate-token as a resource server is the provider's own introspection, run in-process
 * (oidc/internals.ts introspectToken), and the bearer checks are its userinfo's: these cases pin the
 * answers where the API says less than the library would (the one exception: the account, and what
 * the API refuses anyway), and that /token/introspection and the API agree on a client that is gone.
 */
import { ALICE, DEMO_SERVICE } from '../support/fixtures';
import { basic, introspect } from '../support/http';
import { clientCredentialsToken, mintAccessToken } from '../support/tokens';
import { TEST_CLIENT_SCOPE, accessToken, api, passwordTokens, startApiNode, type ApiNode } from './support';

let node: ApiNode;

beforeAll(async () => {
  node = await startApiNode();
});

afterAll(async () => {
  await node?.stop();
});

const asOther = { authorization: basic('test-api-other', 'test-api-other-secret') };

async function validate(token: string) {
  return api(node, 'POST', '/api/validate-token', { headers: asOther, json: { token } });
}

describe('resource-server mode answers inactive where introspection alone would not', () => {
  it('for the token of a disabled account', async () => {
    const account = await node.services.accounts.create({
      username: 'vera',
      password: 'password123',
      roles: [],
    });
    const token = await accessToken(node, 'openid', 'vera');
    expect((await validate(token)).body).toMatchObject({ active: true, sub: account.id });
    await node.services.accounts.setDisabled(account.id, true);
    const res = await validate(token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ active: false });
  });

  it('for sender-constrained tokens; a token with an audience is active and says it (RFC 8707)', async () => {
    const base = { accountId: ALICE.id, clientId: 'test-api', scope: 'openid' };
    expect((await validate(await mintAccessToken(node.provider, base))).body).toMatchObject({ active: true });
    const bound = await mintAccessToken(node.provider, {
      ...base,
      extra: { jkt: 'l0SaY2ddlYPZCapI4IqdP4MwZXEjbXt9Ip0Is4T3mD0' },
    });
    const audience = await mintAccessToken(node.provider, {
      ...base,
      extra: { aud: 'https://api.example.com' },
    });
    expect((await validate(bound)).body).toEqual({ active: false });
    expect((await validate(audience)).body).toMatchObject({ active: true, aud: 'https://api.example.com' });
  });

  it('for an ID token (a JWT the library will not introspect)', async () => {
    const { id_token: idToken } = await passwordTokens(node, { scope: 'openid' });
    const res = await validate(idToken!);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ active: false });
  });
});

describe('a client that is gone', () => {
  it('makes its tokens inactive, at the API and at /token/introspection alike (never a 500)', async () => {
    await node.services.clients.save({
      client_id: 'test-api-gone',
      client_secret: 'test-api-gone-secret',
      grant_types: ['password', 'client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: TEST_CLIENT_SCOPE,
    });
    const { access_token: user } = await passwordTokens(node, { scope: 'openid', clientId: 'test-api-gone' });
    const service = await clientCredentialsToken(node.issuer, {
      id: 'test-api-gone',
      secret: 'test-api-gone-secret',
    });
    for (const token of [user, service]) expect((await validate(token)).body).toMatchObject({ active: true });
    await node.services.clients.delete('test-api-gone');
    for (const token of [user, service]) expect((await validate(token)).body).toEqual({ active: false });
    const introspected = await introspect(node.issuer, user, DEMO_SERVICE);
    expect(introspected.status).toBe(200);
    expect(introspected.body).toEqual({ active: false });
  });
});

describe('bearer mode', () => {
  it('answers a client credentials token with its client, and no sub', async () => {
    const token = await clientCredentialsToken(node.issuer);
    const res = await api(node, 'POST', '/api/validate-token', { token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      active: true,
      client_id: 'demo-service',
      exp: (res.body as { exp: number }).exp,
    });
  });
});
