/**
 * Browser sign-in flows end to end over HTTP, with openid-client as the relying party: authorization
 * code + PKCE for the confidential and the public demo client, consent (remembered, re-asked, denied,
 * skipped for first-party clients), and the prompt, max_age, login_hint and ui_locales parameters.
 */
import { discover, oidc } from '../support/rp';
import { startTestServer, type TestServer } from '../support/server';
import { expectCallback, expectPage, formsOf, textOf } from '../support/browser';
import { ALICE, DEMO_SPA, DEMO_WEB } from '../support/fixtures';
import { demoWeb, answerConsent, newBrowser, redeem, signIn, signInAndAllow, start } from './support/flow';

let node: TestServer;
let web: oidc.Configuration;
let spa: oidc.Configuration;

beforeAll(async () => {
  node = await startTestServer();
  web = await demoWeb(node.issuer);
  spa = await discover(node.issuer, DEMO_SPA.id);
  await node.services.clients.save({
    client_id: 'first-party-web',
    client_name: 'Gatehouse Console',
    client_secret: 'first-party-secret',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['http://localhost:9090/callback'],
    scope: 'openid profile email offline_access',
    first_party: true,
  });
});

afterAll(async () => {
  await node?.stop();
});

describe('authorization code with PKCE', () => {
  it('signs alice in to the confidential client through login and consent, and the code redeems', async () => {
    const browser = newBrowser();
    const started = await start(browser, web, DEMO_WEB.redirectUri, { scope: 'openid profile email' });
    const login = expectPage(started.outcome);
    expect(login.status).toBe(200);
    expect(login.url).toMatch(new RegExp(`^${node.issuer}/interaction/[\\w-]+$`));
    expect(textOf(login)).toContain('Sign in to continue to Demo Web App');

    const consent = expectPage(await signIn(browser, login, ALICE.username, ALICE.password));
    expect(consent.status).toBe(200);
    const text = textOf(consent);
    expect(text).toContain('Allow Demo Web App to use your account?');
    expect(text).toContain('Signed in as alice');
    expect(text).toContain('Know who you are');
    expect(text).toContain('Your profile Your name, your username, your language');
    expect(text).toContain('Your email address Your email address and whether it has been verified.');
    expect(formsOf(consent)[0]!.buttons.map((b) => `${b.name}=${b.value}`)).toEqual([
      'decision=allow',
      'decision=deny',
    ]);

    const callback = expectCallback(await answerConsent(browser, consent, 'allow'));
    expect(callback.origin + callback.pathname).toBe(DEMO_WEB.redirectUri);
    expect(callback.searchParams.get('iss')).toBe(node.issuer);
    const tokens = await redeem(web, callback, started);
    expect(tokens.access_token).toEqual(expect.any(String));
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.claims()).toMatchObject({ sub: '6f1f4b5e-7d51-4d8a-9a0e-1d0c6a1f0002', aud: 'demo-web' });
    const userinfo = await oidc.fetchUserInfo(web, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo).toMatchObject({ preferred_username: 'alice', email: 'alice@example.com' });
  });

  it('issues a refresh token when offline_access is asked with prompt=consent', async () => {
    const browser = newBrowser();
    const started = await start(browser, web, DEMO_WEB.redirectUri, {
      scope: 'openid offline_access',
      prompt: 'consent',
    });
    let outcome = await signIn(browser, expectPage(started.outcome), ALICE.username, ALICE.password);
    const consent = expectPage(outcome);
    expect(textOf(consent)).toContain('Stay connected');
    outcome = await answerConsent(browser, consent, 'allow');
    const tokens = await redeem(web, expectCallback(outcome), started);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const refreshed = await oidc.refreshTokenGrant(web, tokens.refresh_token!);
    expect(refreshed.access_token).toEqual(expect.any(String));
  });

  it('signs in to the public single-page client with PKCE', async () => {
    const browser = newBrowser();
    const started = await start(browser, spa, DEMO_SPA.redirectUri);
    const callback = await signInAndAllow(browser, started);
    const tokens = await redeem(spa, callback, started);
    expect(tokens.claims()).toMatchObject({ aud: 'demo-spa' });
  });

  it('refuses a public client request without PKCE before any page is shown', async () => {
    const browser = newBrowser();
    const url = oidc.buildAuthorizationUrl(spa, { redirect_uri: DEMO_SPA.redirectUri, scope: 'openid' });
    const callback = expectCallback(await browser.go(url.toString()));
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('error_description')).toMatch(/PKCE/);
  });
});

describe('consent', () => {
  it('is remembered for the same client and scopes, and asked again with prompt=consent', async () => {
    const browser = newBrowser();
    const first = await start(browser, web, DEMO_WEB.redirectUri, { scope: 'openid email' });
    await redeem(web, await signInAndAllow(browser, first), first);

    // Same client, same scopes, same browser: straight back to the relying party.
    const again = await start(browser, web, DEMO_WEB.redirectUri, { scope: 'openid email' });
    const tokens = await redeem(web, expectCallback(again.outcome), again);
    expect(tokens.claims()!.sub).toBe('6f1f4b5e-7d51-4d8a-9a0e-1d0c6a1f0002');

    // A new scope is asked for: consent lists it as new and the old ones as already allowed.
    const more = await start(browser, web, DEMO_WEB.redirectUri, { scope: 'openid email phone' });
    const page = expectPage(more.outcome);
    const text = textOf(page);
    expect(text).toContain('Your phone number');
    expect(text).toContain('Your email address already allowed');

    const forced = await start(browser, web, DEMO_WEB.redirectUri, {
      scope: 'openid email',
      prompt: 'consent',
    });
    const forcedPage = expectPage(forced.outcome);
    expect(textOf(forcedPage)).toContain('Demo Web App asks you to confirm what you allowed before.');
    await redeem(web, expectCallback(await answerConsent(browser, forcedPage, 'allow')), forced);
  });

  it('returns access_denied to the relying party when the person denies', async () => {
    const browser = newBrowser();
    // prompt=consent: alice's consent to demo-web is remembered from the tests before.
    const started = await start(browser, web, DEMO_WEB.redirectUri, { prompt: 'consent' });
    const consent = expectPage(
      await signIn(browser, expectPage(started.outcome), ALICE.username, ALICE.password),
    );
    const callback = expectCallback(await answerConsent(browser, consent, 'deny'));
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(started.state);
    await expect(redeem(web, callback, started)).rejects.toMatchObject({ error: 'access_denied' });
  });

  it('is skipped for a first-party client', async () => {
    const rp = await discover(node.issuer, 'first-party-web', 'first-party-secret');
    const browser = newBrowser();
    const started = await start(browser, rp, 'http://localhost:9090/callback', {
      scope: 'openid profile email',
    });
    const callback = expectCallback(
      await signIn(browser, expectPage(started.outcome), ALICE.username, ALICE.password),
    );
    const tokens = await redeem(rp, callback, started);
    expect(tokens.scope?.split(' ').sort()).toEqual(['email', 'openid', 'profile']);
  });

  it('refuses a consent form with neither allow nor deny', async () => {
    const browser = newBrowser();
    const started = await start(browser, web, DEMO_WEB.redirectUri, { prompt: 'consent' });
    const consent = expectPage(
      await signIn(browser, expectPage(started.outcome), ALICE.username, ALICE.password),
    );
    const page = expectPage(await browser.submit(consent, '/confirm', { decision: 'maybe' }));
    expect(page.status).toBe(400);
    expect(textOf(page)).toContain('invalid_request');
  });
});

describe('prompts and parameters', () => {
  it('prompt=none without a session returns login_required', async () => {
    const browser = newBrowser();
    const started = await start(browser, web, DEMO_WEB.redirectUri, { prompt: 'none' });
    const callback = expectCallback(started.outcome);
    expect(callback.searchParams.get('error')).toBe('login_required');
    expect(callback.searchParams.get('state')).toBe(started.state);
  });

  it('prompt=none with a session and a remembered consent returns a code without a page', async () => {
    const browser = newBrowser();
    const first = await start(browser, web, DEMO_WEB.redirectUri);
    await redeem(web, await signInAndAllow(browser, first), first);
    const silent = await start(browser, web, DEMO_WEB.redirectUri, { prompt: 'none' });
    await redeem(web, expectCallback(silent.outcome), silent);
  });

  it('prompt=login asks for the password again, then goes straight through', async () => {
    const browser = newBrowser();
    // max_age makes the ID token carry auth_time (OpenID Connect Core §3.1.2.1).
    const first = await start(browser, web, DEMO_WEB.redirectUri, { max_age: '3600' });
    const firstTokens = await redeem(web, await signInAndAllow(browser, first), first);

    const again = await start(browser, web, DEMO_WEB.redirectUri, { prompt: 'login', max_age: '3600' });
    const login = expectPage(again.outcome);
    expect(textOf(login)).toContain('Please confirm it is you by signing in again.');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const callback = expectCallback(await signIn(browser, login, ALICE.username, ALICE.password));
    const tokens = await redeem(web, callback, again);
    expect(tokens.claims()!.auth_time).toBeGreaterThan(firstTokens.claims()!.auth_time!);
  });

  it('max_age forces a new login when the session is older', async () => {
    const browser = newBrowser();
    const first = await start(browser, web, DEMO_WEB.redirectUri);
    await redeem(web, await signInAndAllow(browser, first), first);

    const fresh = await start(browser, web, DEMO_WEB.redirectUri, { max_age: '300' });
    await redeem(web, expectCallback(fresh.outcome), fresh);

    await new Promise((resolve) => setTimeout(resolve, 2100));
    const stale = await start(browser, web, DEMO_WEB.redirectUri, { max_age: '1' });
    const login = expectPage(stale.outcome);
    expect(formsOf(login).some((f) => f.action.endsWith('/login'))).toBe(true);
    const tokens = await redeem(
      web,
      expectCallback(await signIn(browser, login, ALICE.username, ALICE.password)),
      stale,
    );
    expect(Math.floor(Date.now() / 1000) - tokens.claims()!.auth_time!).toBeLessThanOrEqual(2);
  });

  it('login_hint pre-fills the username, escaped', async () => {
    const browser = newBrowser();
    const started = await start(browser, web, DEMO_WEB.redirectUri, { login_hint: 'alice"><b>x</b>' });
    const login = expectPage(started.outcome);
    expect(formsOf(login)[0]!.fields.username).toBe('alice"><b>x</b>');
    expect(login.html).not.toContain('<b>x</b>');
    expect(login.html).toContain('value="alice&#34;&gt;&lt;b&gt;x&lt;/b&gt;"');
  });

  it('ui_locales picks German when it is available, English otherwise', async () => {
    const browser = newBrowser();
    const german = expectPage(
      (await start(browser, web, DEMO_WEB.redirectUri, { ui_locales: 'fr-CA de-AT en', prompt: 'consent' }))
        .outcome,
    );
    expect(german.html).toContain('<html lang="de">');
    expect(textOf(german)).toContain('Anmelden um mit Demo Web App fortzufahren');
    expect(textOf(german)).toContain('Benutzername');

    const consent = expectPage(await signIn(browser, german, ALICE.username, ALICE.password));
    expect(textOf(consent)).toContain('Demo Web App Zugriff auf Ihr Konto erlauben?');

    const english = expectPage(
      (await start(newBrowser(), web, DEMO_WEB.redirectUri, { ui_locales: 'ja' })).outcome,
    );
    expect(english.html).toContain('<html lang="en">');
  });

  it('falls back to Accept-Language when ui_locales is absent', async () => {
    const browser = newBrowser();
    browser.headers['accept-language'] = 'it;q=0.9, de;q=0.8';
    const page = expectPage((await start(browser, web, DEMO_WEB.redirectUri)).outcome);
    expect(page.html).toContain('<html lang="de">');
  });

  it('lists the page languages in discovery', async () => {
    const meta = (await (await fetch(`${node.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(meta.ui_locales_supported).toEqual(['en', 'de']);
  });
});
