/**
 * The browser of the HTTP-level page tests: the conformance battery's own (@gatehouse/conformance:
 * a tough-cookie jar, forms read by parse5, redirects followed by hand), stopping at the relying
 * party's redirect URIs by prefix. The Playwright tests drive a real browser instead.
 */
import {
  Browser as BatteryBrowser,
  atPrefixes,
  formsOf,
  textOf,
  titleOf,
  type Cookie,
  type Form,
  type NavigationInit,
  type Outcome,
  type Page,
} from '@gatehouse/conformance';
import { oidc } from './rp';

export { formsOf, textOf, titleOf, type Cookie, type Form, type NavigationInit, type Outcome, type Page };

/** The battery's browser, stopping at redirects to a URL that starts with one of `stopAt`. */
export class Browser extends BatteryBrowser {
  constructor(stopAt: string[] = []) {
    super({ stopAt: atPrefixes(stopAt) });
  }
}

export function expectPage(outcome: Outcome): Page {
  if (outcome.kind !== 'page')
    throw new Error(`expected a page, got a redirect to ${outcome.url.toString()}`);
  return outcome.page;
}

export function expectCallback(outcome: Outcome): URL {
  if (outcome.kind !== 'callback') {
    throw new Error(
      `expected a redirect to the relying party, got ${outcome.page.status} at ${outcome.page.url}:\n${textOf(outcome.page)}`,
    );
  }
  return outcome.url;
}

/** An authorization request as a relying party builds it with openid-client (PKCE S256, state, nonce). */
export async function authorizationRequest(
  rp: oidc.Configuration,
  params: Record<string, string>,
): Promise<{ url: string; verifier: string; state: string; nonce: string }> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(rp, {
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url: url.toString(), verifier, state, nonce };
}
