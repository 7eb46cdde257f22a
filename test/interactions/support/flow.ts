/**
 * The steps of a browser sign-in, shared by the interaction tests: start an authorization request
 * as the relying party, sign in on the login page, answer the consent page, redeem the code.
 */
import { oidc } from '../../support/rp';
import {
  Browser,
  authorizationRequest,
  expectCallback,
  expectPage,
  type Outcome,
  type Page,
} from './browser';

export const DEMO_WEB = {
  clientId: 'demo-web',
  secret: 'demo-web-secret',
  redirectUri: 'http://localhost:8080/callback',
  postLogoutRedirectUri: 'http://localhost:8080/',
};

export const DEMO_SPA = {
  clientId: 'demo-spa',
  redirectUri: 'http://localhost:5173/callback',
  postLogoutRedirectUri: 'http://localhost:5173/',
};

export function newBrowser(): Browser {
  return new Browser(['http://localhost:8080/', 'http://localhost:5173/', 'http://localhost:9090/']);
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
  username = 'alice',
  password = 'alicepass',
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
