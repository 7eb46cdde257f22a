/**
 * Token exchange (RFC 8693) over real HTTP with openid-client's genericGrantRequest: a narrower
 * scope, another registered API as audience (a JWT verified against /jwks, an opaque token seen by
 * introspection), delegation with `act`, and the refusals: invalid_scope, invalid_target,
 * invalid_grant for every token the provider would not accept, invalid_request for other token
 * types, unauthorized_client for a client not registered for the grant.
 */
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { TOKEN_EXCHANGE_GRANT } from '../../src/oidc/grants/names';
import { ACCESS_TOKEN_TYPE } from '../../src/oidc/grants/token-exchange';
import { ADMIN, ALICE, DEMO_CLI, DEMO_WEB } from '../support/fixtures';
import { introspect, revoke, tokenRequest } from '../support/http';
import { discover, oidc } from '../support/rp';
import { startTestServer, type TestServer } from '../support/server';
import { accessToken, clientCredentialsToken, mintAccessToken, passwordTokens } from '../support/tokens';

const EXCHANGER_ID = 'test-exchanger';
const JWT_API = 'https://api.example.com';
const OPAQUE_API = 'https://reports.example.com';
const REFRESH_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:refresh_token';

let node: TestServer;
let exchanger: oidc.Configuration;
let exchangerSecret: string;

beforeAll(async () => {
  node = await startTestServer();
  // Registered through the admin API, as an operator registers one (RFC 7591 §3.2.1 answer).
  const admin = await accessToken(node.issuer, 'openid admin', {
    username: ADMIN.username,
    password: ADMIN.password,
  });
  const created = await fetch(`${node.issuer}/api/admin/clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: EXCHANGER_ID,
      client_name: 'Token exchanger',
      grant_types: [TOKEN_EXCHANGE_GRANT],
      scope: 'openid profile email',
    }),
  });
  const registered = (await created.json()) as { client_secret?: string; grant_types?: string[] };
  expect({ status: created.status, grant_types: registered.grant_types }).toEqual({
    status: 201,
    grant_types: [TOKEN_EXCHANGE_GRANT],
  });
  exchangerSecret = registered.client_secret!;
  await node.services.resourceServers.create({
    identifier: OPAQUE_API,
    name: 'Reports',
    scopes: ['reports:read'],
    format: 'opaque',
    ttlSeconds: 300,
  });
  exchanger = await discover(node.issuer, EXCHANGER_ID, exchangerSecret);
});

afterAll(async () => {
  await node?.stop();
});

/** Alice's access token from the password grant through demo-cli (opaque, for the provider). */
function aliceToken(scope = 'openid profile email'): Promise<string> {
  return accessToken(node.issuer, scope, { username: ALICE.username, password: ALICE.password });
}

function exchange(
  params: Record<string, string>,
  config: oidc.Configuration = exchanger,
): Promise<oidc.TokenEndpointResponse> {
  return oidc.genericGrantRequest(config, TOKEN_EXCHANGE_GRANT, params);
}

function subject(token: string): Record<string, string> {
  return { subject_token: token, subject_token_type: ACCESS_TOKEN_TYPE };
}

/** The OAuth error of a refused exchange (openid-client's ResponseBodyError). */
async function refusal(request: Promise<unknown>): Promise<{ error: string; status: number }> {
  try {
    await request;
  } catch (err) {
    if (err instanceof oidc.ResponseBodyError) return { error: err.error, status: err.status };
    throw err;
  }
  throw new Error('the exchange was not refused');
}

async function introspection(token: string): Promise<Record<string, unknown>> {
  const answer = await introspect(node.issuer, token);
  expect(answer.status).toBe(200);
  return answer.body;
}

async function verifyJwt(token: string, audience: string) {
  const jwks = createRemoteJWKSet(new URL(`${node.issuer}/jwks`));
  return jwtVerify(token, jwks, { issuer: node.issuer, audience, typ: 'at+jwt' });
}

describe('token exchange', () => {
  it('is in discovery', async () => {
    expect(exchanger.serverMetadata().grant_types_supported).toContain(TOKEN_EXCHANGE_GRANT);
  });

  it('exchanges a token for one with a narrower scope, and nothing else (RFC 8693 §2.2.1)', async () => {
    const answer = await exchange({ ...subject(await aliceToken()), scope: 'profile' });
    expect(answer).toMatchObject({
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'bearer',
      scope: 'profile',
    });
    expect(answer.refresh_token).toBeUndefined();
    expect(answer.id_token).toBeUndefined();
    expect(answer.expires_in).toBeGreaterThan(3500);
    expect(answer.expires_in).toBeLessThanOrEqual(3600);
    expect(await introspection(answer.access_token)).toMatchObject({
      active: true,
      scope: 'profile',
      sub: ALICE.id,
      client_id: EXCHANGER_ID,
      amr: ['pwd'],
    });
  });

  it('keeps the subject token scope when none is asked for, and leaves the subject token valid', async () => {
    const token = await aliceToken('openid email');
    const answer = await exchange(subject(token));
    expect(answer.scope).toBe('openid email');
    expect((await introspection(token)).active).toBe(true);
  });

  it('refuses a wider scope with invalid_scope', async () => {
    const token = await aliceToken('openid profile');
    expect(await refusal(exchange({ ...subject(token), scope: 'openid profile email' }))).toEqual({
      error: 'invalid_scope',
      status: 400,
    });
  });

  it('issues a JWT for another registered API as audience, with only its scopes', async () => {
    const answer = await exchange({ ...subject(await aliceToken()), resource: JWT_API, scope: 'read' });
    expect(answer).toMatchObject({ issued_token_type: ACCESS_TOKEN_TYPE, scope: 'read' });
    expect(answer.expires_in).toBeLessThanOrEqual(600);
    const { payload, protectedHeader } = await verifyJwt(answer.access_token, JWT_API);
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({ sub: ALICE.id, client_id: EXCHANGER_ID, scope: 'read', amr: ['pwd'] });
    expect(payload.act).toBeUndefined();

    // The `audience` parameter names it as well; omitting scope gives all of the API's.
    const all = await exchange({ ...subject(await aliceToken()), audience: JWT_API });
    expect(all.scope).toBe('read write');
    // OpenID scopes never cross to an API's token.
    expect(
      await refusal(exchange({ ...subject(await aliceToken()), resource: JWT_API, scope: 'read openid' })),
    ).toEqual({ error: 'invalid_scope', status: 400 });
  });

  it('accepts a JWT of a registered API as subject token, within its scope', async () => {
    const jwt = (await exchange({ ...subject(await aliceToken()), resource: JWT_API, scope: 'read write' }))
      .access_token;
    expect(decodeProtectedHeader(jwt).typ).toBe('at+jwt');
    const narrower = await exchange({ ...subject(jwt), scope: 'read' });
    const { payload } = await verifyJwt(narrower.access_token, JWT_API);
    expect(payload.scope).toBe('read');
    const readOnly = (await exchange({ ...subject(jwt), scope: 'read' })).access_token;
    expect(await refusal(exchange({ ...subject(readOnly), scope: 'read write' }))).toEqual({
      error: 'invalid_scope',
      status: 400,
    });
    // A JWT whose signature is not the provider's is refused.
    const [header, body] = jwt.split('.');
    expect(await refusal(exchange(subject(`${header}.${body}.${'A'.repeat(342)}`)))).toEqual({
      error: 'invalid_grant',
      status: 400,
    });
  });

  it('issues an opaque token for an opaque API: introspection shows its audience', async () => {
    const answer = await exchange({ ...subject(await aliceToken()), resource: OPAQUE_API });
    expect(answer.scope).toBe('reports:read');
    expect(answer.expires_in).toBeLessThanOrEqual(300);
    expect(await introspection(answer.access_token)).toMatchObject({
      active: true,
      aud: OPAQUE_API,
      scope: 'reports:read',
      sub: ALICE.id,
      client_id: EXCHANGER_ID,
    });
  });

  it('refuses an audience that is no registered API, or two of them, with invalid_target', async () => {
    const token = await aliceToken();
    const invalidTarget = { error: 'invalid_target', status: 400 };
    expect(await refusal(exchange({ ...subject(token), resource: 'https://unknown.example.com' }))).toEqual(
      invalidTarget,
    );
    expect(await refusal(exchange({ ...subject(token), audience: 'some-api' }))).toEqual(invalidTarget);
    expect(await refusal(exchange({ ...subject(token), resource: JWT_API, audience: OPAQUE_API }))).toEqual(
      invalidTarget,
    );
  });

  it('carries the actor in act (RFC 8693 §4.1): introspection and the JWT show it, nested', async () => {
    const actor = await clientCredentialsToken(node.issuer);
    const delegated = await exchange({
      ...subject(await aliceToken()),
      scope: 'profile',
      actor_token: actor,
      actor_token_type: ACCESS_TOKEN_TYPE,
    });
    expect(await introspection(delegated.access_token)).toMatchObject({
      active: true,
      sub: ALICE.id,
      act: { sub: 'demo-service' },
    });

    // The delegated token exchanged again with another actor: the earlier actor nested inside.
    const adminToken = await accessToken(node.issuer, 'openid', {
      username: ADMIN.username,
      password: ADMIN.password,
    });
    const chained = await exchange({
      ...subject(delegated.access_token),
      resource: JWT_API,
      scope: 'read',
      actor_token: adminToken,
      actor_token_type: ACCESS_TOKEN_TYPE,
    });
    const { payload } = await verifyJwt(chained.access_token, JWT_API);
    expect(payload.sub).toBe(ALICE.id);
    expect(payload.act).toEqual({ sub: ADMIN.id, act: { sub: 'demo-service' } });

    // Without an actor token, the delegation the subject token records stays.
    const kept = await exchange(subject(delegated.access_token));
    expect((await introspection(kept.access_token)).act).toEqual({ sub: 'demo-service' });

    expect(
      await refusal(
        exchange({
          ...subject(await aliceToken()),
          actor_token: 'garbage',
          actor_token_type: ACCESS_TOKEN_TYPE,
        }),
      ),
    ).toEqual({ error: 'invalid_grant', status: 400 });
  });

  it('refuses a revoked, expired, key-bound, garbage or refresh token with invalid_grant', async () => {
    const invalidGrant = { error: 'invalid_grant', status: 400 };
    const revoked = await aliceToken();
    expect((await revoke(node.issuer, revoked, DEMO_CLI)).status).toBe(200);
    expect(await refusal(exchange(subject(revoked)))).toEqual(invalidGrant);

    const mint = (extra: Record<string, unknown>) =>
      mintAccessToken(node.provider, { accountId: ALICE.id, clientId: 'demo-cli', scope: 'openid', extra });
    const expiring = await mint({ expiresIn: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await refusal(exchange(subject(expiring)))).toEqual(invalidGrant);
    const bound = await mint({ jkt: 'l0SaY2ddlYPZCapI4IqdP4MwZXEjbXt9Ip0Is4T3mD0' });
    expect(await refusal(exchange(subject(bound)))).toEqual(invalidGrant);

    expect(await refusal(exchange(subject('garbage')))).toEqual(invalidGrant);
    expect(await refusal(exchange(subject('x'.repeat(1000))))).toEqual(invalidGrant);
    expect(await refusal(exchange(subject('x'.repeat(20_000))))).toEqual(invalidGrant);

    const tokens = await passwordTokens(node.issuer, {
      username: ALICE.username,
      password: ALICE.password,
      scope: 'openid offline_access',
    });
    expect(await refusal(exchange(subject(tokens.refresh_token!)))).toEqual(invalidGrant);
    // A client's own token is no person's: not a subject token.
    expect(await refusal(exchange(subject(await clientCredentialsToken(node.issuer))))).toEqual(invalidGrant);
  });

  it("refuses the subject token of a disabled account, and gives no token a longer life than the subject's", async () => {
    const account = await node.services.accounts.create({
      username: 'exchange-disabled',
      password: 'password123',
      email: 'exchange-disabled@example.com',
    });
    const token = await mintAccessToken(node.provider, {
      accountId: account.id,
      clientId: 'demo-cli',
      scope: 'openid',
      extra: { expiresIn: 30 },
    });
    expect((await exchange(subject(token))).expires_in).toBeLessThanOrEqual(30);
    await node.services.accounts.setDisabled(account.id, true);
    expect(await refusal(exchange(subject(token)))).toEqual({ error: 'invalid_grant', status: 400 });
  });

  it('refuses other token types with invalid_request', async () => {
    const token = await aliceToken();
    const invalidRequest = { error: 'invalid_request', status: 400 };
    expect(await refusal(exchange({ subject_token: token, subject_token_type: REFRESH_TOKEN_TYPE }))).toEqual(
      invalidRequest,
    );
    expect(await refusal(exchange({ ...subject(token), requested_token_type: REFRESH_TOKEN_TYPE }))).toEqual(
      invalidRequest,
    );
    expect(await refusal(exchange({ ...subject(token), actor_token_type: ACCESS_TOKEN_TYPE }))).toEqual(
      invalidRequest,
    );
    expect(await refusal(exchange({ subject_token: token }))).toEqual(invalidRequest);
    // requested_token_type access_token is what it issues anyway.
    const answer = await exchange({ ...subject(token), requested_token_type: ACCESS_TOKEN_TYPE });
    expect(answer.issued_token_type).toBe(ACCESS_TOKEN_TYPE);
  });

  it('answers unauthorized_client to a client not registered for the grant', async () => {
    const web = await discover(node.issuer, DEMO_WEB.id, DEMO_WEB.secret);
    expect(await refusal(exchange(subject(await aliceToken()), web))).toEqual({
      error: 'unauthorized_client',
      status: 400,
    });
  });

  it('lets two exchanges of one subject token race: both succeed, with tokens of their own', async () => {
    const token = await aliceToken();
    const answers = await Promise.all([
      exchange({ ...subject(token), scope: 'profile' }),
      exchange({ ...subject(token), scope: 'email' }),
    ]);
    expect(answers.map((a) => a.scope)).toEqual(['profile', 'email']);
    expect(answers[0]!.access_token).not.toBe(answers[1]!.access_token);
    for (const answer of answers) expect((await introspection(answer.access_token)).active).toBe(true);
  });

  it('answers a malformed request in the protocol shape, never 5xx', async () => {
    const answer = await tokenRequest(
      node.issuer,
      {
        grant_type: TOKEN_EXCHANGE_GRANT,
        subject_token: '',
        subject_token_type: ACCESS_TOKEN_TYPE,
        scope: '"',
      },
      { id: EXCHANGER_ID, secret: exchangerSecret },
    );
    expect(answer.status).toBe(400);
    expect(typeof answer.body.error).toBe('string');
  });
});
