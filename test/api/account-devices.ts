/**
 * "Devices" of one person for the account API suites: a browser (its own cookie jar and User-Agent)
 * signed in through the authorization code flow of a first-party client, whose tokens come from
 * that browser session; and the password grant, whose tokens come from no session at all.
 */
import type { Browser } from '../support/browser';
import { TEST_PASSWORD } from '../support/fixtures';
import { discover, oidc } from '../support/rp';
import type { TestServer } from '../support/server';
import { newBrowser, redeem, signInAndAllow, start } from '../interactions/support/flow';
import { expectCallback } from '../support/browser';

/** A first-party web client that may ask for the account scope (clients/scope.ts). */
export const ACCOUNT_APP = {
  id: 'test-account-app',
  secret: 'test-account-app-secret',
  redirectUri: 'http://localhost:9090/callback',
};

export async function registerAccountApp(node: TestServer): Promise<oidc.Configuration> {
  await node.services.clients.save({
    client_id: ACCOUNT_APP.id,
    client_name: 'Account test app',
    client_secret: ACCOUNT_APP.secret,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [ACCOUNT_APP.redirectUri],
    scope: 'openid profile offline_access account',
    first_party: true,
  });
  return discover(node.issuer, ACCOUNT_APP.id, ACCOUNT_APP.secret);
}

let named = 0;
/** A new account of the suite (the lockout is per name, so each test has its own). */
export async function newAccount(
  node: TestServer,
  prefix: string,
): Promise<{ id: string; username: string }> {
  named += 1;
  const account = await node.services.accounts.create({
    username: `${prefix}-${named}-${process.pid}`,
    password: TEST_PASSWORD,
  });
  return { id: account.id, username: account.username };
}

export interface SignedInBrowser {
  browser: Browser;
  accessToken: string;
  refreshToken: string | undefined;
}

/** A browser with its own User-Agent signs in (login page, code, tokens) with scope `account`. */
export async function signInWithBrowser(
  rp: oidc.Configuration,
  options: { username: string; password?: string; userAgent: string },
): Promise<SignedInBrowser> {
  const browser = newBrowser();
  browser.headers['user-agent'] = options.userAgent;
  const started = await start(browser, rp, ACCOUNT_APP.redirectUri, { scope: 'openid account' });
  const callback = await signInAndAllow(
    browser,
    started,
    options.username,
    options.password ?? TEST_PASSWORD,
  );
  const tokens = await redeem(rp, callback, started);
  return { browser, accessToken: tokens.access_token, refreshToken: tokens.refresh_token };
}

/**
 * Whether the browser is still signed in: an authorization request with prompt=none (OpenID Connect
 * Core §3.1.2.1) answers a code, or `login_required` once its session is gone.
 */
export async function silentSignIn(browser: Browser, rp: oidc.Configuration): Promise<string> {
  const started = await start(browser, rp, ACCOUNT_APP.redirectUri, { scope: 'openid', prompt: 'none' });
  const callback = expectCallback(started.outcome);
  return callback.searchParams.get('error') ?? (callback.searchParams.get('code') ? 'code' : 'nothing');
}
