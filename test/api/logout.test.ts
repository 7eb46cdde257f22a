/**
 * POST /api/logout: the grant behind the token goes (access and refresh tokens), the account's
 * sessions that include the client end, and nothing else is touched.
 */
import { ADMIN, ALICE } from '../support/fixtures';
import { refresh as refreshAt } from '../support/tokens';
import { api, passwordTokens, startApiNode, testClient, type ApiNode } from './support';

let node: ApiNode;

beforeAll(async () => {
  node = await startApiNode();
});

afterAll(async () => {
  await node?.stop();
});

async function refresh(refreshToken: string): Promise<{ status: number; body: unknown }> {
  const { status, body } = await refreshAt(node.issuer, refreshToken, testClient());
  return { status, body };
}

/** A provider session of the account that includes `clientId`, as a browser sign-in leaves it. */
async function saveSession(accountId: string, clientIds: string[]): Promise<string> {
  // The model takes its payload and Session#save its TTL (lib/models/session.js); the types omit both.
  const Session = node.provider.Session as unknown as new (payload: object) => {
    jti: string;
    save(ttl: number): Promise<string>;
  };
  const session = new Session({
    accountId,
    loginTs: Math.floor(Date.now() / 1000),
    authorizations: Object.fromEntries(
      clientIds.map((id) => [id, { sid: `sid-${id}`, grantId: `grant-${id}` }]),
    ),
  });
  await session.save(3600);
  return session.jti;
}

describe('POST /api/logout', () => {
  it('revokes the grant: the token gets 401 and the refresh token invalid_grant', async () => {
    const tokens = await passwordTokens(node, { scope: 'openid offline_access profile' });
    const other = await passwordTokens(node, { scope: 'openid offline_access profile' });
    const res = await api(node, 'POST', '/api/logout', { token: tokens.access_token });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();

    const after = await api(node, 'GET', '/api/profile', { token: tokens.access_token });
    expect(after.status).toBe(401);
    expect(after.body).toEqual({
      error: 'invalid_token',
      error_description: 'the access token is invalid, expired or revoked',
    });
    expect(await refresh(tokens.refresh_token!)).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'grant request is invalid' },
    });
    // A second logout with the same token is refused like any revoked token.
    expect((await api(node, 'POST', '/api/logout', { token: tokens.access_token })).status).toBe(401);

    // Another grant of the same account and client is not this token's grant.
    expect((await api(node, 'GET', '/api/profile', { token: other.access_token })).status).toBe(200);
    expect((await refresh(other.refresh_token!)).status).toBe(200);
  });

  it("ends the account's sessions that include the client, and no others", async () => {
    const withClient = await saveSession(ALICE.id, ['test-api', 'demo-web']);
    const otherClient = await saveSession(ALICE.id, ['demo-web']);
    const otherAccount = await saveSession(ADMIN.id, ['test-api']);
    const tokens = await passwordTokens(node, { scope: 'openid' });
    expect((await api(node, 'POST', '/api/logout', { token: tokens.access_token })).status).toBe(204);
    expect(await node.provider.Session.find(withClient)).toBeUndefined();
    expect(await node.provider.Session.find(otherClient)).toBeDefined();
    expect(await node.provider.Session.find(otherAccount)).toBeDefined();
  });

  it('needs a valid bearer token', async () => {
    const res = await api(node, 'POST', '/api/logout');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');
  });
});
