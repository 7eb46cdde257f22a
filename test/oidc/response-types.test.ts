/**
 * Implicit and hybrid response types work for clients registered for them (OpenID Connect Core §3.2,
 * §3.3): the ID token arrives in the fragment, signed by a key of the JWKS, with the nonce, and with
 * at_hash / c_hash over the access token and code that come with it.
 */
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { Browser, expectPage, type Outcome } from '../support/browser';
import { answerConsent, signIn } from '../interactions/support/flow';
import { ALICE } from '../support/fixtures';
import { tokenRequest } from '../support/http';
import { discover, oidc } from '../support/rp';
import { startTestServer, type TestServer } from '../support/server';

// Web clients using the implicit flow must register https redirect URIs (OpenID Connect Core §3.2.2.1).
const REDIRECT = 'https://rp.example.test/cb';
const browser = () => new Browser(['https://rp.example.test/']);
let node: TestServer;

beforeAll(async () => {
  node = await startTestServer();
  await node.services.clients.save({
    client_id: 'implicit-hybrid',
    client_secret: 'implicit-hybrid-secret',
    grant_types: ['implicit', 'authorization_code'],
    response_types: ['id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token'],
    redirect_uris: [REDIRECT],
  });
});

afterAll(async () => {
  await node?.stop();
});

/** OpenID Connect Core §3.2.2.9: the left half of the SHA-256 of the value, base64url. */
function halfHash(value: string): string {
  return createHash('sha256').update(value).digest().subarray(0, 16).toString('base64url');
}

async function authorize(responseType: string): Promise<{ fragment: URLSearchParams; nonce: string }> {
  const agent = browser();
  const rp = await discover(node.issuer, 'implicit-hybrid', 'implicit-hybrid-secret');
  const nonce = oidc.randomNonce();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT,
    response_type: responseType,
    scope: 'openid profile',
    nonce,
    state,
  });
  let outcome: Outcome = await signIn(
    agent,
    expectPage(await agent.go(url.toString())),
    ALICE.username,
    ALICE.password,
  );
  if (outcome.kind === 'page') outcome = await answerConsent(agent, outcome.page, 'allow');
  if (outcome.kind !== 'callback') throw new Error(`no callback: ${outcome.page.status}`);
  expect(outcome.url.search).toBe('');
  const fragment = new URLSearchParams(outcome.url.hash.slice(1));
  expect(fragment.get('state')).toBe(state);
  return { fragment, nonce };
}

async function verifyIdToken(idToken: string, nonce: string) {
  const { payload } = await jwtVerify(idToken, createRemoteJWKSet(new URL(`${node.issuer}/jwks`)), {
    issuer: node.issuer,
    audience: 'implicit-hybrid',
  });
  expect(payload.nonce).toBe(nonce);
  expect(payload.sub).toBe('6f1f4b5e-7d51-4d8a-9a0e-1d0c6a1f0002');
  return payload;
}

it('id_token: an ID token alone, in the fragment', async () => {
  const { fragment, nonce } = await authorize('id_token');
  expect(fragment.get('code')).toBeNull();
  expect(fragment.get('access_token')).toBeNull();
  await verifyIdToken(fragment.get('id_token')!, nonce);
});

it('id_token token: an ID token whose at_hash matches the access token', async () => {
  const { fragment, nonce } = await authorize('id_token token');
  const payload = await verifyIdToken(fragment.get('id_token')!, nonce);
  expect(payload.at_hash).toBe(halfHash(fragment.get('access_token')!));
  expect(fragment.get('token_type')).toBe('Bearer');
});

it('code id_token: an ID token whose c_hash matches the code, and the code redeems', async () => {
  const { fragment, nonce } = await authorize('code id_token');
  const code = fragment.get('code')!;
  const payload = await verifyIdToken(fragment.get('id_token')!, nonce);
  expect(payload.c_hash).toBe(halfHash(code));
  const res = await tokenRequest(
    node.issuer,
    { grant_type: 'authorization_code', code, redirect_uri: REDIRECT },
    { id: 'implicit-hybrid', secret: 'implicit-hybrid-secret' },
  );
  expect(res.status).toBe(200);
  const tokens = res.body as { id_token: string; access_token: string };
  await verifyIdToken(tokens.id_token, nonce);
});

it('refuses a response type the client is not registered for', async () => {
  await node.services.clients.save({
    client_id: 'code-only',
    client_secret: 'code-only-secret',
    redirect_uris: [REDIRECT],
  });
  const rp = await discover(node.issuer, 'code-only', 'code-only-secret');
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT,
    response_type: 'id_token',
    scope: 'openid',
    nonce: 'n',
  });
  const outcome = await browser().go(url.toString());
  if (outcome.kind !== 'callback') throw new Error('expected an error redirect');
  const error = new URLSearchParams(outcome.url.hash.slice(1));
  // oidc-provider answers invalid_request here (its choice; the redirect and the reason are what matter).
  expect(Object.fromEntries(error)).toMatchObject({
    error: 'invalid_request',
    error_description: 'requested response_type is not allowed for this client',
  });
});
