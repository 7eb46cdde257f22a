/**
 * APIs as resource servers, end to end over HTTP with openid-client as the relying party: a client
 * naming a registered API with `resource` (RFC 8707) in the authorization and token requests gets an
 * access token for that audience, in the API's format — an RFC 9068 JWT that verifies offline with
 * the provider's /jwks, or an opaque token that introspects with `aud` — carrying only the API's
 * scopes, for the API's lifetime. The consent page names the API and its scopes; an unknown resource
 * is invalid_target; a refresh keeps the resource; client credentials take one too; revoking the
 * grant ends the opaque token (the JWT one lives until it expires: nothing stores it).
 */
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { ALICE, DEMO_SERVICE, DEMO_WEB } from '../support/fixtures';
import { basic, introspect, post, revoke, JSON_TYPE } from '../support/http';
import { discover, oidc } from '../support/rp';
import { startTestServer, type TestServer } from '../support/server';
import { expectCallback, expectPage, textOf, type Page } from '../support/browser';
import { answerConsent, newBrowser, redeem, signIn, start, type Started } from '../interactions/support/flow';

const DEMO_API = 'https://api.example.com';
const OPAQUE_API = 'https://orders.example.com/v1';

let node: TestServer;
let web: oidc.Configuration;

beforeAll(async () => {
  node = await startTestServer();
  web = await discover(node.issuer, DEMO_WEB.id, DEMO_WEB.secret);
  await node.services.resourceServers.create({
    identifier: OPAQUE_API,
    name: 'Orders',
    scopes: ['orders:read', 'orders:write'],
    format: 'opaque',
    ttlSeconds: 300,
  });
});

afterAll(async () => {
  await node?.stop();
});

/** Signs Alice in and answers the consent page (keeping it for the test to look at). */
async function authorize(
  params: Record<string, string>,
): Promise<{ started: Started; consent: Page | null; callback: URL }> {
  const browser = newBrowser();
  const started = await start(browser, web, DEMO_WEB.redirectUri, params);
  let outcome = await signIn(browser, expectPage(started.outcome), ALICE.username, ALICE.password);
  let consent: Page | null = null;
  if (outcome.kind === 'page' && outcome.page.url.includes('/interaction/')) {
    consent = outcome.page;
    outcome = await answerConsent(browser, outcome.page, 'allow');
  }
  return { started, consent, callback: expectCallback(outcome) };
}

async function verifyOffline(token: string): Promise<JWTPayload> {
  const jwks = createRemoteJWKSet(new URL(web.serverMetadata().jwks_uri!));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    typ: 'at+jwt',
    issuer: node.issuer,
    audience: DEMO_API,
    algorithms: ['RS256'],
  });
  expect(protectedHeader.kid).toEqual(expect.any(String));
  return payload;
}

function validateAsService(token: string) {
  return post(`${node.issuer}/api/validate-token`, JSON.stringify({ token }), {
    ...JSON_TYPE,
    authorization: basic(DEMO_SERVICE.id, DEMO_SERVICE.secret),
  });
}

describe('a JWT API (the demo API: read write, 600 s)', () => {
  it('gets an RFC 9068 access token that verifies offline against /jwks, after a consent naming the API scopes', async () => {
    const { started, consent, callback } = await authorize({
      scope: 'openid profile read write',
      resource: DEMO_API,
    });
    expect(consent).not.toBeNull();
    const text = textOf(consent!);
    expect(text).toContain(`Access to Demo API (${DEMO_API})`);
    expect(text).toContain('read, write');

    const tokens = await oidc.authorizationCodeGrant(
      web,
      callback,
      { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce },
      { resource: DEMO_API },
    );
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.expires_in).toBe(600);
    expect(tokens.scope).toBe('read write');
    expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt');
    const claims = await verifyOffline(tokens.access_token);
    expect(claims).toMatchObject({
      iss: node.issuer,
      sub: ALICE.id,
      aud: DEMO_API,
      client_id: DEMO_WEB.id,
      scope: 'read write',
      jti: expect.any(String),
    });
    expect(claims.exp! - claims.iat!).toBe(600);

    // /api/validate-token answers for it in both modes, with the audience.
    const expected = {
      active: true,
      sub: ALICE.id,
      client_id: DEMO_WEB.id,
      scope: 'read write',
      exp: claims.exp,
      aud: DEMO_API,
    };
    const asService = await validateAsService(tokens.access_token);
    expect(asService.status).toBe(200);
    expect(asService.body).toEqual(expected);
    const asBearer = await post(`${node.issuer}/api/validate-token`, '{}', {
      ...JSON_TYPE,
      authorization: `Bearer ${tokens.access_token}`,
    });
    expect(asBearer.body).toEqual(expected);
    // A JWT with one character changed is not valid.
    const tampered = `${tokens.access_token.slice(0, -2)}${tokens.access_token.endsWith('A') ? 'B' : 'A'}`;
    expect((await validateAsService(tampered)).body).toEqual({ active: false });

    // It is for the API, not for /userinfo or Gatehouse's own /api.
    const userinfo = await fetch(`${node.issuer}/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(userinfo.status).toBe(401);
    const profile = await fetch(`${node.issuer}/api/profile`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(profile.status).toBe(401);
  });

  it('keeps the resource granted at authorization when the token request names none (useGrantedResource)', async () => {
    const { started, callback } = await authorize({ scope: 'openid read', resource: DEMO_API });
    const tokens = await redeem(web, callback, started);
    expect((await verifyOffline(tokens.access_token)).scope).toBe('read');
  });

  it('grants no scope that is not the API’s', async () => {
    const { started, callback } = await authorize({ scope: 'openid read delete', resource: DEMO_API });
    const tokens = await oidc.authorizationCodeGrant(
      web,
      callback,
      { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce },
      { resource: DEMO_API },
    );
    expect(tokens.scope).toBe('read');
    expect((await verifyOffline(tokens.access_token)).scope).toBe('read');
  });

  it('keeps the resource when the token is refreshed; the JWT outlives the revoked grant', async () => {
    const { started, callback } = await authorize({
      scope: 'openid offline_access write',
      resource: DEMO_API,
      prompt: 'consent',
    });
    const tokens = await oidc.authorizationCodeGrant(
      web,
      callback,
      { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce },
      { resource: DEMO_API },
    );
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const refreshed = await oidc.refreshTokenGrant(web, tokens.refresh_token!);
    const claims = await verifyOffline(refreshed.access_token);
    expect(claims).toMatchObject({ aud: DEMO_API, scope: 'write', sub: ALICE.id });

    // Revoking the refresh token revokes the grant; nothing stores a JWT access token, so it stays
    // valid until it expires (README: use the opaque format for APIs that need revocation).
    expect((await revoke(node.issuer, refreshed.refresh_token!, DEMO_WEB)).status).toBe(200);
    await expect(oidc.refreshTokenGrant(web, refreshed.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    expect((await validateAsService(refreshed.access_token)).body).toMatchObject({ active: true });
  });
});

describe('an opaque API', () => {
  it('gets an opaque token that introspects with the audience, until the grant is revoked', async () => {
    const { started, consent, callback } = await authorize({
      scope: 'openid offline_access orders:read',
      resource: OPAQUE_API,
      prompt: 'consent',
    });
    expect(textOf(consent!)).toContain(`Access to Orders (${OPAQUE_API})`);
    const tokens = await oidc.authorizationCodeGrant(
      web,
      callback,
      { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce },
      { resource: OPAQUE_API },
    );
    expect(tokens.access_token.split('.')).toHaveLength(1);
    expect(tokens.expires_in).toBe(300);
    expect(tokens.scope).toBe('orders:read');

    const introspected = await introspect(node.issuer, tokens.access_token);
    expect(introspected.body).toMatchObject({
      active: true,
      aud: OPAQUE_API,
      scope: 'orders:read',
      client_id: DEMO_WEB.id,
      sub: ALICE.id,
    });
    const validated = await validateAsService(tokens.access_token);
    expect(validated.body).toEqual({
      active: true,
      sub: ALICE.id,
      client_id: DEMO_WEB.id,
      scope: 'orders:read',
      exp: introspected.body.exp,
      aud: OPAQUE_API,
    });

    // Revoking the refresh token revokes the whole grant: the opaque access token dies with it.
    expect((await revoke(node.issuer, tokens.refresh_token!, DEMO_WEB)).status).toBe(200);
    expect((await introspect(node.issuer, tokens.access_token)).body).toEqual({ active: false });
    expect((await validateAsService(tokens.access_token)).body).toEqual({ active: false });
  });
});

describe('refusals', () => {
  it('answers an unknown resource with invalid_target at the authorization endpoint', async () => {
    const browser = newBrowser();
    const started = await start(browser, web, DEMO_WEB.redirectUri, {
      scope: 'openid read',
      resource: 'https://unknown.example.com',
    });
    const callback = expectCallback(started.outcome);
    expect(callback.searchParams.get('error')).toBe('invalid_target');
  });

  it('answers a resource other than the granted one with invalid_target at the token endpoint', async () => {
    const { started, callback } = await authorize({ scope: 'openid read', resource: DEMO_API });
    await expect(
      oidc.authorizationCodeGrant(
        web,
        callback,
        { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce },
        { resource: OPAQUE_API },
      ),
    ).rejects.toMatchObject({ error: 'invalid_target' });
  });

  it('keeps plain OpenID Connect requests (no resource) on opaque tokens for /userinfo', async () => {
    const { started, callback } = await authorize({ scope: 'openid profile' });
    const tokens = await redeem(web, callback, started);
    expect(tokens.access_token.split('.')).toHaveLength(1);
    const claims = await oidc.fetchUserInfo(web, tokens.access_token, ALICE.id);
    expect(claims.sub).toBe(ALICE.id);
  });
});

describe('client credentials', () => {
  it('gets a JWT for the API with the client as its subject', async () => {
    const service = await discover(node.issuer, DEMO_SERVICE.id, DEMO_SERVICE.secret);
    const tokens = await oidc.clientCredentialsGrant(service, { scope: 'read', resource: DEMO_API });
    const claims = await verifyOffline(tokens.access_token);
    expect(claims).toMatchObject({ sub: DEMO_SERVICE.id, client_id: DEMO_SERVICE.id, scope: 'read' });
    expect((await validateAsService(tokens.access_token)).body).toEqual({
      active: true,
      client_id: DEMO_SERVICE.id,
      scope: 'read',
      exp: claims.exp,
      aud: DEMO_API,
    });
    await expect(
      oidc.clientCredentialsGrant(service, { scope: 'read', resource: 'https://unknown.example.com' }),
    ).rejects.toMatchObject({ error: 'invalid_target' });
  });
});
