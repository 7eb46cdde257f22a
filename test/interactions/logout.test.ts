/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the confirmation page in Gatehouse's
 * style, the end of the session, the redirect with state to a registered URI, and the refusal of an
 * unregistered one.
 */
import { oidc } from '../support/rp';
import type { TestServer } from '../support/server';
import { Browser, expectCallback, expectPage, formsOf, textOf } from '../support/browser';
import { DEMO_WEB } from '../support/fixtures';
import { startWithDemoWeb, newBrowser, redeem, signInAndAllow, start } from './support/flow';

let node: TestServer;
let web: oidc.Configuration;

beforeAll(async () => {
  ({ node, web } = await startWithDemoWeb());
});

afterAll(() => node?.stop());

async function signedIn(): Promise<{ browser: Browser; idToken: string }> {
  const browser = newBrowser();
  const started = await start(browser, web, DEMO_WEB.redirectUri);
  const tokens = await redeem(web, await signInAndAllow(browser, started), started);
  return { browser, idToken: tokens.id_token! };
}

function logoutUrl(params: Record<string, string>): string {
  return oidc.buildEndSessionUrl(web, params).toString();
}

describe('RP-initiated logout', () => {
  it('confirms on a Gatehouse page, ends the session and returns to the registered URI with state', async () => {
    const { browser, idToken } = await signedIn();
    const confirm = expectPage(
      await browser.go(
        logoutUrl({
          id_token_hint: idToken,
          post_logout_redirect_uri: DEMO_WEB.postLogoutRedirectUri,
          state: 'st-123',
        }),
      ),
    );
    expect(confirm.status).toBe(200);
    expect(confirm.headers.get('cache-control')).toBe('no-store');
    expect(confirm.html).toContain('<link rel="stylesheet" href="/assets/gatehouse.css">');
    expect(confirm.html).not.toMatch(/<script|style=/);
    const text = textOf(confirm);
    expect(text).toContain('Sign out?');
    expect(text).toContain('Signed in as alice');
    expect(text).toContain('Demo Web App asks to sign you out of Gatehouse.');
    const [form] = formsOf(confirm);
    expect(form!.action).toBe(`${node.issuer}/session/end/confirm`);
    expect(form!.fields.xsrf).toMatch(/^[0-9a-f]{48}$/);
    expect(form!.buttons.map((b) => `${b.name}=${b.value}`)).toEqual(['logout=yes', '=']);

    const back = expectCallback(await browser.submit(confirm, '/session/end/confirm', { logout: 'yes' }));
    expect(back.toString()).toBe(`${DEMO_WEB.postLogoutRedirectUri}?state=st-123`);

    // The session is gone: a silent request now needs a login.
    const silent = await start(browser, web, DEMO_WEB.redirectUri, { prompt: 'none' });
    expect(expectCallback(silent.outcome).searchParams.get('error')).toBe('login_required');
  });

  it('refuses a post_logout_redirect_uri the client has not registered', async () => {
    const { browser, idToken } = await signedIn();
    const page = expectPage(
      await browser.go(
        logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: 'https://evil.example/' }),
      ),
    );
    expect(page.status).toBe(400);
    expect(textOf(page)).toContain('invalid_request');
    expect(textOf(page)).toContain('post_logout_redirect_uri not registered');
    expect(page.html).not.toContain('evil.example');
  });

  it('shows the signed-out page when no redirect URI is given', async () => {
    const { browser, idToken } = await signedIn();
    const confirm = expectPage(await browser.go(logoutUrl({ id_token_hint: idToken })));
    const done = expectPage(await browser.submit(confirm, '/session/end/confirm', { logout: 'yes' }));
    expect(done.status).toBe(200);
    expect(done.headers.get('cache-control')).toBe('no-store');
    expect(textOf(done)).toContain('You are signed out You have signed out of Gatehouse.');
  });

  it("staying signed in ends only the relying party's part of the session", async () => {
    const { browser, idToken } = await signedIn();
    const confirm = expectPage(await browser.go(logoutUrl({ id_token_hint: idToken })));
    const done = expectPage(await browser.submit(confirm, '/session/end/confirm'));
    expect(textOf(done)).toContain(
      'You have signed out of Demo Web App. You are still signed in to Gatehouse.',
    );
    // Still signed in to Gatehouse (no login page); the consent, remembered beyond the session
    // (accounts/consents.ts), takes the client straight back with a code.
    const again = await start(browser, web, DEMO_WEB.redirectUri);
    await redeem(web, expectCallback(again.outcome), again);
  });

  it('refuses a confirmation without the page secret', async () => {
    const { browser, idToken } = await signedIn();
    const confirm = expectPage(await browser.go(logoutUrl({ id_token_hint: idToken })));
    const forged = expectPage(
      await browser.submit(confirm, '/session/end/confirm', { logout: 'yes', xsrf: 'forged' }),
    );
    expect(forged.status).toBe(400);
    expect(textOf(forged)).toContain('xsrf token invalid');
    // Still signed in.
    const silent = await start(browser, web, DEMO_WEB.redirectUri, { prompt: 'none' });
    await redeem(web, expectCallback(silent.outcome), silent);
  });

  it('renders the confirmation in the language asked with ui_locales', async () => {
    const { browser, idToken } = await signedIn();
    const confirm = expectPage(await browser.go(logoutUrl({ id_token_hint: idToken, ui_locales: 'de' })));
    expect(confirm.html).toContain('<html lang="de">');
    expect(textOf(confirm)).toContain('Ja, abmelden');
  });
});
