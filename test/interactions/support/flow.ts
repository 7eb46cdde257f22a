/**
 * The steps of a browser sign-in, shared by the interaction tests: start an authorization request
 * as the relying party, sign in on the login page, answer the consent page, redeem the code.
 */
import { ALICE, DEMO_SPA, DEMO_WEB } from '../../support/fixtures';
import { discover, oidc } from '../../support/rp';
import { startTestServer, type TestServer } from '../../support/server';
import {
  Browser,
  authorizationRequest,
  expectCallback,
  expectPage,
  type Outcome,
  type Page,
} from '../../support/browser';

/** A browser that stops at the demo clients' redirect URIs (and at a test client's on port 9090). */
export function newBrowser(): Browser {
  const origins = [DEMO_WEB, DEMO_SPA].map((client) => `${new URL(client.redirectUri).origin}/`);
  return new Browser([...origins, 'http://localhost:9090/']);
}

/** The demo web client as its relying-party library sees the node (client_secret_basic). */
export function demoWeb(issuer: string): Promise<oidc.Configuration> {
  return discover(issuer, DEMO_WEB.id, DEMO_WEB.secret);
}

/** A node for a file's tests and the demo web client on it. */
export async function startWithDemoWeb(
  env: Record<string, string> = {},
): Promise<{ node: TestServer; web: oidc.Configuration }> {
  const node = await startTestServer({ env });
  return { node, web: await demoWeb(node.issuer) };
}

export interface Started {
  outcome: Outcome;
  verifier: string;
  state: string;
  nonce: string;
}

export async function start(
  browser: Browser,
  rp: oidc.Configuration,
  redirectUri: string,
  params: Record<string, string> = {},
): Promise<Started> {
  const request = await authorizationRequest(rp, {
    redirect_uri: redirectUri,
    scope: 'openid profile',
    ...params,
  });
  return { ...request, outcome: await browser.go(request.url) };
}

export async function signIn(
  browser: Browser,
  page: Page,
  username: string,
  password: string,
): Promise<Outcome> {
  return browser.submit(page, '/login', { username, password });
}

export async function answerConsent(
  browser: Browser,
  page: Page,
  decision: 'allow' | 'deny',
): Promise<Outcome> {
  return browser.submit(page, '/confirm', { decision });
}

/** Login then consent (when asked): the callback URL. */
export async function signInAndAllow(
  browser: Browser,
  started: Started,
  username = ALICE.username,
  password = ALICE.password,
): Promise<URL> {
  let outcome = await signIn(browser, expectPage(started.outcome), username, password);
  if (outcome.kind === 'page' && outcome.page.url.includes('/interaction/')) {
    outcome = await answerConsent(browser, outcome.page, 'allow');
  }
  return expectCallback(outcome);
}

/** The code exchange, checked by openid-client (state, nonce, PKCE, ID token signature and claims). */
export async function redeem(rp: oidc.Configuration, callback: URL, started: Started) {
  return oidc.authorizationCodeGrant(rp, callback, {
    pkceCodeVerifier: started.verifier,
    expectedState: started.state,
    expectedNonce: started.nonce,
    idTokenExpected: true,
  });
}
