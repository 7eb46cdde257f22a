/**
 * django-oauth-toolkit's OIDC issuer, `https://host/o`: with ISSUER=<origin>/o and DJANGO_COMPAT=true
 * discovery is at /o/.well-known/openid-configuration with exactly that issuer, every endpoint is
 * under /o, and openid-client (a certified relying party) discovering that issuer signs in through
 * the login and consent pages and redeems the code, with a refresh token as DOT gives one.
 */
import { expectPage, textOf } from '../support/browser';
import { ALICE } from '../support/fixtures';
import { discover, oidc } from '../support/rp';
import { freePort, startTestServer, type TestServer } from '../support/server';
import { answerConsent, newBrowser, redeem, signIn, start } from '../interactions/support/flow';
import { expectCallback } from '../support/browser';

const CLIENT = {
  id: 'dot-web',
  secret: 'dot-web-secret',
  redirectUri: 'http://localhost:9090/callback',
};

let node: TestServer;
let issuer: string;

beforeAll(async () => {
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}/o`;
  node = await startTestServer({ port, env: { ISSUER: issuer, DJANGO_COMPAT: 'true' } });
  await node.services.clients.save({
    client_id: CLIENT.id,
    client_name: 'DOT Web',
    client_secret: CLIENT.secret,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [CLIENT.redirectUri],
    scope: 'openid profile read write',
  });
});

afterAll(() => node?.stop());

it('serves discovery at /o/.well-known/openid-configuration with the issuer exactly <origin>/o', async () => {
  expect(node.issuer).toBe(issuer);
  const res = await fetch(`${issuer}/.well-known/openid-configuration`);
  expect(res.status).toBe(200);
  const doc = (await res.json()) as Record<string, string>;
  expect(doc.issuer).toBe(issuer);
  for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri'])
    expect(doc[endpoint]).toMatch(new RegExp(`^${issuer}/`));
  // DOT's spelling, with its slash, answers the same document.
  expect(await (await fetch(`${issuer}/.well-known/openid-configuration/`)).json()).toEqual(doc);
});

it('signs in with openid-client discovering that issuer: login, consent (read, write), code, refresh', async () => {
  const rp = await discover(issuer, CLIENT.id, CLIENT.secret);
  expect(rp.serverMetadata().issuer).toBe(issuer);
  const browser = newBrowser();
  const started = await start(browser, rp, CLIENT.redirectUri, { scope: 'openid profile read write' });
  const login = expectPage(started.outcome);
  expect(login.status).toBe(200);
  const consent = expectPage(await signIn(browser, login, ALICE.username, ALICE.password));
  const text = textOf(consent);
  expect(text).toContain('Allow DOT Web to use your account?');
  // Extra scopes have no message of their own: the page names them.
  expect(text).toContain('Permission “read”');
  expect(text).toContain('Permission “write”');
  const callback = expectCallback(await answerConsent(browser, consent, 'allow'));
  expect(callback.searchParams.get('iss')).toBe(issuer);

  const tokens = await redeem(rp, callback, started);
  expect(tokens.claims()).toMatchObject({ iss: issuer, aud: CLIENT.id });
  expect(tokens.scope?.split(' ').sort()).toEqual(['openid', 'profile', 'read', 'write']);
  // Through /o/ a client registered for refresh_token gets one, without offline_access (as DOT).
  expect(tokens.refresh_token).toEqual(expect.any(String));
  const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
  expect(userinfo).toMatchObject({ preferred_username: ALICE.username });
  const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
  expect(refreshed.access_token).toEqual(expect.any(String));
  expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
});
