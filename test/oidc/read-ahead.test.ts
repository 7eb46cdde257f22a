/**
 * One round trip per bearer check and per introspection (oidc/adapter.ts: the token's statement
 * reads its grant, and for a bearer token its account, ahead for the same request), and what that
 * must not cost: a row read ahead serves only its own request, so a grant revoked, an account
 * disabled or a role changed anywhere is what the very next request sees, on every node.
 */
import { ALICE, DEMO_CLI, DEMO_SERVICE } from '../support/fixtures';
import { introspect, isActive, revoke } from '../support/http';
import { startTestServer, useTwoNodes, type TestServer } from '../support/server';
import { passwordTokens, refresh } from '../support/tokens';
import { usingPostgres } from '../support/database';

/** The statements on tokens and accounts one piece of work makes (the jobs' polls are left out). */
async function statementsOf(node: TestServer, work: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const onQuery = (query: { sql: string }) => {
    if (/oidc_payloads|\baccounts\b/.test(query.sql)) seen.push(query.sql);
  };
  node.services.db.on('query', onQuery);
  try {
    await work();
  } finally {
    node.services.db.off('query', onQuery);
  }
  return seen;
}

async function api(node: TestServer, path: string, token: string) {
  const res = await fetch(`${node.issuer}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('round trips', () => {
  let node: TestServer;
  beforeAll(async () => {
    node = await startTestServer();
  });
  afterAll(() => node?.stop());

  it('checks a bearer token at the API with one statement: token, grant and account', async () => {
    const { access_token } = await passwordTokens(node.issuer, { scope: 'openid profile roles' });
    let answer: Awaited<ReturnType<typeof api>> | undefined;
    const statements = await statementsOf(node, async () => {
      answer = await api(node, '/api/profile', access_token);
    });
    expect(answer).toMatchObject({ status: 200, body: { sub: ALICE.id } });
    expect(statements).toHaveLength(1);
  });

  it('introspects with one statement: the token under every model, and its grant', async () => {
    const { access_token } = await passwordTokens(node.issuer, { scope: 'openid' });
    let active: boolean | undefined;
    const statements = await statementsOf(node, async () => {
      active = await isActive(node.issuer, access_token);
    });
    expect(active).toBe(true);
    expect(statements).toHaveLength(1);
  });

  it('rotates a refresh token with two: the token with grant and account, then the rotation', async () => {
    const first = await passwordTokens(node.issuer, { scope: 'openid offline_access' });
    let status = 0;
    const statements = await statementsOf(node, async () => {
      status = (await refresh(node.issuer, first.refresh_token!)).status;
    });
    expect(status).toBe(200);
    expect(statements).toHaveLength(2);
  });

  it('reads again in the next request: a grant revoked after one request is refused by the next', async () => {
    const tokens = await passwordTokens(node.issuer, { scope: 'openid profile offline_access' });
    expect((await api(node, '/api/profile', tokens.access_token)).status).toBe(200);
    // Revoking the refresh token revokes its grant (RFC 7009 §2.1), and the access token with it.
    expect((await revoke(node.issuer, tokens.refresh_token!, DEMO_CLI)).status).toBe(200);
    expect((await api(node, '/api/profile', tokens.access_token)).status).toBe(401);
    expect((await introspect(node.issuer, tokens.access_token, DEMO_SERVICE)).body).toEqual({
      active: false,
    });
  });
});

const describeOnPostgres = usingPostgres ? describe : describe.skip;

describeOnPostgres('two nodes on one PostgreSQL: the next request sees every change', () => {
  const nodes = useTwoNodes();

  it('refuses a token at once on one node when its account is disabled by another', async () => {
    const { a, b } = nodes;
    const { access_token } = await passwordTokens(a.issuer, { scope: 'openid profile' });
    expect((await api(a, '/api/profile', access_token)).status).toBe(200);
    // Disabled in the table itself (no revocation of its tokens): the account read with the token says so.
    await b.services.db('accounts').where('id', ALICE.id).update({ disabled: true });
    try {
      expect((await api(a, '/api/profile', access_token)).status).toBe(401);
      expect((await api(b, '/api/profile', access_token)).status).toBe(401);
    } finally {
      await b.services.db('accounts').where('id', ALICE.id).update({ disabled: false });
    }
    expect((await api(a, '/api/profile', access_token)).status).toBe(200);
  });

  it('answers a role another node just gave or took at once', async () => {
    const { a, b } = nodes;
    const { access_token } = await passwordTokens(a.issuer, { scope: 'openid roles' });
    const before = (await api(a, '/api/roles', access_token)).body.roles as string[];
    await b.services.accounts.setRoles(ALICE.id, [...before, 'admin']);
    try {
      expect((await api(a, '/api/roles', access_token)).body.roles).toEqual([...before, 'admin'].sort());
    } finally {
      await b.services.accounts.setRoles(ALICE.id, before);
    }
    expect((await api(a, '/api/roles', access_token)).body.roles).toEqual(before);
  });

  it('refuses at once on one node a token whose grant another node revoked', async () => {
    const { a, b } = nodes;
    const tokens = await passwordTokens(a.issuer, { scope: 'openid profile offline_access' });
    expect(await isActive(a.issuer, tokens.access_token)).toBe(true);
    expect((await revoke(b.issuer, tokens.refresh_token!, DEMO_CLI)).status).toBe(200);
    expect(await isActive(a.issuer, tokens.access_token)).toBe(false);
    expect((await api(a, '/api/profile', tokens.access_token)).status).toBe(401);
  });
});
