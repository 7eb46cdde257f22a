/**
 * Pushed authorization requests (RFC 9126) with openid-client's buildAuthorizationUrlWithPAR, the
 * sign-in through the pages, on two nodes behind one public origin (both ISSUER the same, PROXY on;
 * the "load balancer" is a fetch that picks the node and sends X-Forwarded-Host): pushed on A,
 * authorized on B, the code redeemed on A. The request_uri is used once and expires; PAR_REQUIRED and
 * a client's require_pushed_authorization_requests refuse a plain authorization request.
 * Two nodes on PostgreSQL; on the embedded database (one process's) both are the same node.
 */
import { Browser, atPrefixes } from '@gatehouse/conformance';
import { ALICE, DEMO_WEB } from '../support/fixtures';
import { authorizationRequest, expectCallback, expectPage, textOf } from '../support/browser';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../support/database';
import { discover, oidc } from '../support/rp';
import { freePort, startTestServer, type TestServer } from '../support/server';
import { redeem, signInAndAllow, type Started } from '../interactions/support/flow';

const STRICT = { id: 'par-strict', secret: 'par-strict-secret', redirectUri: 'http://localhost:8080/strict' };

/** A request to the public origin, delivered to one node as a proxy would forward it. */
function viaNode(node: TestServer, url: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const target = new URL(url instanceof Request ? url.url : url);
  const { host } = target;
  target.host = new URL(node.url).host;
  const headers = new Headers(init.headers);
  headers.set('x-forwarded-host', host);
  return fetch(target, { ...init, headers, redirect: 'manual' });
}

/** Two nodes (one on the embedded database) behind one issuer; `to.node` is where requests go. */
function useCluster(env: Record<string, string> = {}) {
  const cluster = {} as { a: TestServer; b: TestServer; issuer: string };
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    const port = await freePort();
    cluster.issuer = `http://127.0.0.1:${port}`;
    const all = { ISSUER: cluster.issuer, PROXY: 'true', ...env };
    cluster.a = await startTestServer({ database, port, env: all });
    cluster.b = usingPostgres ? await startTestServer({ database, env: all }) : cluster.a;
    await cluster.a.services.clients.save({
      client_id: STRICT.id,
      client_name: 'PAR Strict',
      client_secret: STRICT.secret,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [STRICT.redirectUri],
      scope: 'openid profile',
      require_pushed_authorization_requests: true,
    });
  });
  afterAll(async () => {
    await Promise.all([...new Set([cluster.a, cluster.b])].map((node) => node?.close()));
    await database?.drop();
  });
  return cluster;
}

/** A relying party and a browser whose requests go to `to.node`. */
async function routed(cluster: { a: TestServer; issuer: string }, clientId: string, secret: string) {
  const to = { node: cluster.a };
  const rp = await discover(cluster.issuer, clientId, secret);
  rp[oidc.customFetch] = (url, options) => viaNode(to.node, url, options as RequestInit);
  const browser = new Browser({
    stopAt: atPrefixes(['http://localhost:8080/']),
    fetch: (url, init) => viaNode(to.node, url as string, init),
  });
  return { rp, browser, to };
}

/** The pushed request's parameters as a relying party sends them (PKCE S256, state, nonce). */
async function pushed(rp: oidc.Configuration, redirectUri: string) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = await oidc.buildAuthorizationUrlWithPAR(rp, {
    redirect_uri: redirectUri,
    scope: 'openid profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { url, verifier, state, nonce };
}

const expectRefusal = (page: { status: number }, text: string, pattern: RegExp) => {
  expect(page.status).toBe(400);
  expect(text).toMatch(pattern);
};

describe('PAR, not required', () => {
  const cluster = useCluster();

  it('advertises the endpoint and no global requirement', async () => {
    const doc = (await (await fetch(`${cluster.a.url}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(doc.pushed_authorization_request_endpoint).toBe(`${cluster.issuer}/request`);
    expect(doc.require_pushed_authorization_requests).toBeUndefined();
  });

  it('signs in with a request pushed to node A, authorized on node B, the code redeemed on A', async () => {
    const { rp, browser, to } = await routed(cluster, DEMO_WEB.id, DEMO_WEB.secret);
    const request = await pushed(rp, DEMO_WEB.redirectUri);
    expect(request.url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    // Only client_id and request_uri travel through the browser (RFC 9126 §4).
    expect([...request.url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    to.node = cluster.b;
    const started: Started = { ...request, outcome: await browser.go(request.url.toString()) };
    const callback = await signInAndAllow(browser, started);
    to.node = cluster.a;
    const tokens = await redeem(rp, callback, started);
    expect(tokens.claims()).toMatchObject({ sub: ALICE.id, aud: DEMO_WEB.id });

    // RFC 9126 §2.2: the request_uri is used once, on whichever node.
    for (const node of [cluster.a, cluster.b]) {
      to.node = node;
      const again = expectPage(await browser.go(request.url.toString()));
      expectRefusal(again, textOf(again), /request_uri|invalid/i);
    }
  });

  it('refuses an expired request_uri', async () => {
    const { rp, browser } = await routed(cluster, DEMO_WEB.id, DEMO_WEB.secret);
    const request = await pushed(rp, DEMO_WEB.redirectUri);
    // Its lifetime over (expires_in of the push): the row's expiry in the past.
    await cluster.a.services
      .db('oidc_payloads')
      .where({ model: 'PushedAuthorizationRequest' })
      .update({ expires_at: new Date(Date.now() - 1000) });
    const page = expectPage(await browser.go(request.url.toString()));
    expectRefusal(page, textOf(page), /request_uri|invalid/i);
  });

  it('refuses a plain request of a client with require_pushed_authorization_requests, and takes its pushed one', async () => {
    const { rp, browser } = await routed(cluster, STRICT.id, STRICT.secret);
    const plain = await authorizationRequest(rp, {
      redirect_uri: STRICT.redirectUri,
      scope: 'openid profile',
    });
    // The redirect URI is the client's own, so the refusal goes back to it (RFC 6749 §4.1.2.1).
    const refused = expectCallback(await browser.go(plain.url));
    expect(refused.searchParams.get('error')).toBe('invalid_request');
    expect(refused.searchParams.get('error_description')).toBe('Pushed Authorization Request must be used');
    const request = await pushed(rp, STRICT.redirectUri);
    const login = expectPage(await browser.go(request.url.toString()));
    expect(login.status).toBe(200);
    expect(login.url).toContain('/interaction/');
    // Any other client still may send a plain request.
    const web = await routed(cluster, DEMO_WEB.id, DEMO_WEB.secret);
    const other = await authorizationRequest(web.rp, { redirect_uri: DEMO_WEB.redirectUri, scope: 'openid' });
    expect(expectPage(await web.browser.go(other.url)).url).toContain('/interaction/');
  });
});

describe('PAR_REQUIRED=true', () => {
  const cluster = useCluster({ PAR_REQUIRED: 'true' });

  it('advertises the requirement, refuses a plain /auth and takes a pushed request', async () => {
    const doc = (await (await fetch(`${cluster.a.url}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(doc.require_pushed_authorization_requests).toBe(true);
    const { rp, browser, to } = await routed(cluster, DEMO_WEB.id, DEMO_WEB.secret);
    const plain = await authorizationRequest(rp, {
      redirect_uri: DEMO_WEB.redirectUri,
      scope: 'openid profile',
    });
    // The redirect URI is the client's own, so the refusal goes back to it (RFC 6749 §4.1.2.1).
    const refused = expectCallback(await browser.go(plain.url));
    expect(refused.searchParams.get('error')).toBe('invalid_request');
    expect(refused.searchParams.get('error_description')).toBe('Pushed Authorization Request must be used');
    const request = await pushed(rp, DEMO_WEB.redirectUri);
    to.node = cluster.b;
    const started: Started = { ...request, outcome: await browser.go(request.url.toString()) };
    const callback = await signInAndAllow(browser, started);
    to.node = cluster.a;
    expect((await redeem(rp, callback, started)).access_token).toEqual(expect.any(String));
  });
});
