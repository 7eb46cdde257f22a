/**
 * DJANGO_COMPAT: django-oauth-toolkit's URLs (oauth2_provider/urls.py under /o/, trailing slashes
 * included) reach the provider's own routes, with URLs under /o/ in what it answers there; the root
 * paths answer as before; /o/introspect/ adds the username DOT's resource servers read; through /o/
 * the password grant issues a refresh token without offline_access, as DOT does; a failed client
 * authentication at /o/token/ counts like one at /token. Off by default: /o/ is not found.
 */
import { ALICE, DEMO_CLI, DEMO_SERVICE, DEMO_WEB } from '../support/fixtures';
import { clientPost, introspect, tokenRequest, type HttpAnswer } from '../support/http';
import { startTestServer, type TestServer } from '../support/server';
import { passwordGrantParams, passwordTokens } from '../support/tokens';

const get = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers, redirect: 'manual' });
  return { status: res.status, headers: res.headers, body: (await res.text()) || '' };
};

/** Both spellings of a DOT path: Django's, with its slash, and without it. */
const bothSpellings = (path: string) => [path, path.replace(/\/$/, '')];

describe('with DJANGO_COMPAT off (the default)', () => {
  let node: TestServer;
  beforeAll(async () => {
    node = await startTestServer();
  });
  afterAll(() => node?.stop());

  it('does not answer /o/ at all: /o/token/ and /o/.well-known/openid-configuration/ are not found', async () => {
    const token = await clientPost(
      `${node.issuer}/o/token/`,
      passwordGrantParams({ scope: 'openid' }),
      DEMO_CLI,
    );
    expect(token.status).toBe(404);
    expect((await get(`${node.issuer}/o/.well-known/openid-configuration/`)).status).toBe(404);
    const discovery = await get(`${node.issuer}/.well-known/openid-configuration`);
    expect(JSON.parse(discovery.body).scopes_supported).not.toContain('read');
  });
});

describe('with DJANGO_COMPAT=true', () => {
  let node: TestServer;
  let o: string;
  beforeAll(async () => {
    node = await startTestServer({ env: { DJANGO_COMPAT: 'true', RATE_LIMIT_CLIENT_AUTH_FAILURES: '3/60' } });
    o = `${node.issuer}/o`;
  });
  afterAll(() => node?.stop());

  it('serves discovery at /o/.well-known/openid-configuration/ with the endpoints under /o', async () => {
    for (const path of bothSpellings('/.well-known/openid-configuration/')) {
      const answer = await get(`${o}${path}`);
      expect(answer.status).toBe(200);
      const doc = JSON.parse(answer.body) as Record<string, unknown>;
      expect(doc).toMatchObject({
        issuer: node.issuer,
        authorization_endpoint: `${o}/auth`,
        token_endpoint: `${o}/token`,
        introspection_endpoint: `${o}/token/introspection`,
        revocation_endpoint: `${o}/token/revocation`,
        userinfo_endpoint: `${o}/me`,
        jwks_uri: `${o}/jwks`,
        end_session_endpoint: `${o}/session/end`,
      });
      expect(doc.scopes_supported).toEqual(expect.arrayContaining(['openid', 'read', 'write']));
    }
    // The root's own discovery is as it was.
    const root = JSON.parse((await get(`${node.issuer}/.well-known/openid-configuration`)).body);
    expect(root.token_endpoint).toBe(`${node.issuer}/token`);
  });

  it('serves the signing keys at /o/.well-known/jwks.json, the same as /jwks', async () => {
    const keys = (await get(`${node.issuer}/jwks`)).body;
    for (const path of bothSpellings('/.well-known/jwks.json/')) {
      const answer = await get(`${o}${path}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toBe(keys);
    }
  });

  it('answers the password grant at /o/token/ and /o/token, with a refresh token without offline_access', async () => {
    for (const path of bothSpellings('/token/')) {
      const answer = await clientPost(
        `${o}${path}`,
        passwordGrantParams({ scope: 'openid profile' }),
        DEMO_CLI,
      );
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ token_type: 'Bearer', scope: 'openid profile' });
      expect(answer.body.refresh_token).toEqual(expect.any(String));
      // It refreshes there too (and rotates, as at /token).
      const refreshed = await clientPost(
        `${o}${path}`,
        { grant_type: 'refresh_token', refresh_token: answer.body.refresh_token as string },
        DEMO_CLI,
      );
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.refresh_token).toEqual(expect.any(String));
      expect(refreshed.body.refresh_token).not.toBe(answer.body.refresh_token);
    }
  });

  it('keeps /token as it is: no refresh token without offline_access', async () => {
    const tokens = await passwordTokens(node.issuer, { scope: 'openid profile' });
    expect(tokens.refresh_token).toBeUndefined();
    const offline = await passwordTokens(node.issuer, { scope: 'openid offline_access' });
    expect(offline.refresh_token).toEqual(expect.any(String));
  });

  it('gives no refresh token through /o/token/ to a client not registered for refresh_token', async () => {
    const client = { id: 'dot-password-only', secret: 'dot-password-only-secret' };
    await node.services.clients.save({
      client_id: client.id,
      client_secret: client.secret,
      grant_types: ['password'],
      response_types: [],
      redirect_uris: [],
      scope: 'openid profile',
    });
    const answer = await clientPost(`${o}/token/`, passwordGrantParams({ scope: 'openid' }), client);
    expect(answer.status).toBe(200);
    expect(answer.body.refresh_token).toBeUndefined();
  });

  it('answers /o/introspect/ with the username DOT resource servers read; /token/introspection as before', async () => {
    const tokens = await passwordTokens(node.issuer, { scope: 'openid profile' });
    for (const path of bothSpellings('/introspect/')) {
      const answer = await clientPost(`${o}${path}`, { token: tokens.access_token }, DEMO_SERVICE);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({
        active: true,
        username: ALICE.username,
        scope: 'openid profile',
        client_id: DEMO_CLI.id,
        exp: expect.any(Number),
      });
    }
    const root = await introspect(node.issuer, tokens.access_token);
    expect(root.body.active).toBe(true);
    expect(root.body).not.toHaveProperty('username');
    // A token without an account (client credentials) has no username; an unknown one is inactive.
    const service = await tokenRequest(node.issuer, { grant_type: 'client_credentials' }, DEMO_SERVICE);
    const machine = await clientPost(
      `${o}/introspect/`,
      { token: service.body.access_token as string },
      DEMO_SERVICE,
    );
    expect(machine.body.active).toBe(true);
    expect(machine.body).not.toHaveProperty('username');
    const unknown = await clientPost(`${o}/introspect/`, { token: 'no-such-token' }, DEMO_SERVICE);
    expect(unknown.body).toEqual({ active: false });
  });

  it('revokes at /o/revoke_token/ and answers /o/userinfo/ with the bearer token', async () => {
    const tokens = await passwordTokens(node.issuer, { scope: 'openid profile' });
    for (const path of bothSpellings('/userinfo/')) {
      const answer = await get(`${o}${path}`, { authorization: `Bearer ${tokens.access_token}` });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ preferred_username: ALICE.username });
    }
    const revoked = await clientPost(`${o}/revoke_token/`, { token: tokens.access_token }, DEMO_CLI);
    expect(revoked.status).toBe(200);
    expect((await introspect(node.issuer, tokens.access_token)).body.active).toBe(false);
    const other = await passwordTokens(node.issuer, { scope: 'openid' });
    expect((await clientPost(`${o}/revoke_token`, { token: other.access_token }, DEMO_CLI)).status).toBe(200);
    expect((await introspect(node.issuer, other.access_token)).body.active).toBe(false);
  });

  it('starts a sign-in at /o/authorize/ and resumes it under /o', async () => {
    const query = new URLSearchParams({
      client_id: DEMO_WEB.id,
      response_type: 'code',
      redirect_uri: DEMO_WEB.redirectUri,
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    for (const path of bothSpellings('/authorize/')) {
      const answer = await get(`${o}${path}?${query}`);
      expect(answer.status).toBe(303);
      expect(answer.headers.get('location')).toMatch(/^\/interaction\/[\w-]+$/);
      // The resume cookie is scoped to the resume URL under /o, where the browser comes back.
      expect(answer.headers.getSetCookie().join('\n')).toMatch(/_interaction_resume=[^;]+; path=\/o\/auth\//);
    }
  });

  it('shows the logout confirmation at /o/logout/, posting to a form under /o', async () => {
    for (const path of bothSpellings('/logout/')) {
      const answer = await get(`${o}${path}`, { accept: 'text/html' });
      expect(answer.status).toBe(200);
      expect(answer.body).toContain(`action="${o}/session/end/confirm"`);
    }
  });

  it('counts failed client authentications at /o/token/ towards the same limit', async () => {
    const wrong = { id: DEMO_CLI.id, secret: 'not-the-secret' };
    const answers: HttpAnswer[] = [];
    for (let i = 0; i < 3; i += 1)
      answers.push(await clientPost(`${o}/token/`, passwordGrantParams({ scope: 'openid' }), wrong));
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401]);
    const refused = await clientPost(`${o}/token/`, passwordGrantParams({ scope: 'openid' }), DEMO_CLI);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('too_many_requests');
    // The count is per source (here the socket's, PROXY unset), whichever path: /token is refused too.
    expect((await tokenRequest(node.issuer, passwordGrantParams({ scope: 'openid' }))).status).toBe(429);
  });

  it('leaves an unknown /o/ path unanswered like any unknown path', async () => {
    expect((await get(`${o}/applications/`)).status).toBe(404);
    expect((await get(`${o}/`)).status).toBe(404);
  });
});
