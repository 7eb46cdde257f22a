/**
 * The login page: its form and headers, the answers to wrong input (the same for an unknown user and
 * a wrong password), the lockout shared with the password grant, disabled accounts, cancelling, and
 * forms that cannot be completed cross-site.
 */
import { discover, oidc } from '../support/rp';
import { startTestServer, type TestServer } from '../support/server';
import { Browser, expectCallback, expectPage, formsOf, textOf, type Page } from '../support/browser';
import { ALICE, DEMO_CLI, DEMO_WEB } from '../support/fixtures';
import { startWithDemoWeb, newBrowser, signIn, start } from './support/flow';

let node: TestServer;
let web: oidc.Configuration;

beforeAll(async () => {
  ({ node, web } = await startWithDemoWeb({ LOCKOUT_MAX_ATTEMPTS: '3' }));
});

afterAll(() => node?.stop());

async function loginPage(browser: Browser = newBrowser()): Promise<{ browser: Browser; page: Page }> {
  const started = await start(browser, web, DEMO_WEB.redirectUri);
  return { browser, page: expectPage(started.outcome) };
}

/** The page without what differs between two renders of it (the interaction uid, the typed name). */
function normalised(page: Page, username: string): string {
  return page.html.replace(/\/interaction\/[\w-]+/g, '/interaction/UID').replaceAll(username, 'NAME');
}

describe('the login page', () => {
  it('has labelled fields with autocomplete hints and the security headers', async () => {
    const { page, browser } = await loginPage();
    expect(page.html).toMatch(/<label for="username">Username<\/label>/);
    expect(page.html).toMatch(/<input id="username" name="username" type="text"[^>]*autocomplete="username"/);
    expect(page.html).toMatch(/<label for="password">Password<\/label>/);
    expect(page.html).toMatch(
      /<input id="password" name="password" type="password"[^>]*autocomplete="current-password"/,
    );
    expect(page.html).toContain('<link rel="stylesheet" href="/assets/gatehouse.css">');
    // Scripts only from this origin's /assets (the passkey button), never inline.
    expect(page.html).not.toMatch(
      /<script(?! src="\/assets\/[\w.-]+\.js" defer><\/script>)|style=|https?:\/\/(?!127\.0\.0\.1)/,
    );

    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');

    const cookies = browser.cookies();
    expect(cookies.map((c) => c.name).sort()).toEqual([
      '_interaction',
      '_interaction.sig',
      '_interaction_resume',
      '_interaction_resume.sig',
    ]);
    for (const cookie of cookies) {
      expect(cookie.attributes).toMatch(/httponly/i);
      expect(cookie.attributes).toMatch(/samesite=lax/i);
      expect(cookie.attributes).not.toMatch(/secure/i);
    }
  });

  it('serves its stylesheet from the app', async () => {
    const res = await fetch(`${node.issuer}/assets/gatehouse.css`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await res.text()).toContain('.card');
    const again = await fetch(`${node.issuer}/assets/gatehouse.css`, {
      // fetch adds Cache-Control: no-cache to conditional requests unless told otherwise.
      headers: { 'if-none-match': res.headers.get('etag')!, 'cache-control': 'max-age=0' },
    });
    expect(again.status).toBe(304);
  });

  it('answers a wrong password and an unknown user with the same page, keeping the username', async () => {
    const wrong = await loginPage();
    const wrongPage = expectPage(await signIn(wrong.browser, wrong.page, 'alice', 'not-her-password'));
    const unknown = await loginPage();
    const unknownPage = expectPage(await signIn(unknown.browser, unknown.page, 'nobody-here', 'whatever'));

    expect(wrongPage.status).toBe(401);
    expect(unknownPage.status).toBe(401);
    expect(textOf(wrongPage)).toContain('The username or password is incorrect.');
    expect(formsOf(wrongPage)[0]!.fields).toEqual({ username: 'alice', password: '' });
    expect(formsOf(unknownPage)[0]!.fields).toEqual({ username: 'nobody-here', password: '' });
    expect(normalised(wrongPage, 'alice')).toBe(normalised(unknownPage, 'nobody-here'));
    expect(wrongPage.html).toMatch(/<div class="alert" id="login-error" role="alert">/);
    expect(wrongPage.html).toMatch(/aria-invalid="true" aria-describedby="login-error"/);
  });

  it('asks for both fields when one is empty', async () => {
    const { browser, page } = await loginPage();
    const answer = expectPage(await signIn(browser, page, 'alice', ''));
    expect(answer.status).toBe(400);
    expect(textOf(answer)).toContain('Enter your username and your password.');
  });

  it('escapes what the person typed', async () => {
    const { browser, page } = await loginPage();
    const answer = expectPage(await signIn(browser, page, '"><script>alert(1)</script>', 'x'));
    expect(answer.html).not.toContain('<script>');
    expect(answer.html).toContain('value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });

  it('signs in after a failed attempt on the same page', async () => {
    const { browser, page } = await loginPage();
    const failed = expectPage(await signIn(browser, page, 'alice', 'wrong'));
    const consent = expectPage(await signIn(browser, failed, ALICE.username, ALICE.password));
    expect(textOf(consent)).toContain('Allow Demo Web App to use your account?');
  });
});

describe('lockout', () => {
  async function failUntilLocked(username: string): Promise<Page> {
    const { browser, page } = await loginPage();
    let current = page;
    for (let i = 0; i < 3; i++) current = expectPage(await signIn(browser, current, username, `wrong-${i}`));
    return current;
  }

  it('locks a known and an unknown name alike after the configured failures', async () => {
    await node.services.accounts.create({ username: 'carol', password: 'carolpass' });
    const known = await failUntilLocked('carol');
    const unknown = await failUntilLocked('nobody-carol');
    for (const page of [known, unknown]) {
      expect(page.status).toBe(429);
      expect(textOf(page)).toContain('Too many unsuccessful attempts. Please try again later.');
      expect(Number(page.headers.get('retry-after'))).toBeGreaterThan(800);
    }
    expect(normalised(known, 'carol')).toBe(normalised(unknown, 'nobody-carol'));

    // The right password does not get through while the name is locked.
    const { browser, page } = await loginPage();
    const locked = expectPage(await signIn(browser, page, 'carol', 'carolpass'));
    expect(locked.status).toBe(429);
  });

  it('is shared with the password grant', async () => {
    await node.services.accounts.create({ username: 'dave', password: 'davepass' });
    const cli = await discover(node.issuer, DEMO_CLI.id, DEMO_CLI.secret);
    for (let i = 0; i < 3; i++) {
      await expect(
        oidc.genericGrantRequest(cli, 'password', { username: 'dave', password: 'wrong', scope: 'openid' }),
      ).rejects.toMatchObject({ error: 'invalid_grant' });
    }
    const { browser, page } = await loginPage();
    const answer = expectPage(await signIn(browser, page, 'dave', 'davepass'));
    expect(answer.status).toBe(429);
    expect(textOf(answer)).toContain('Please try again later.');
  });
});

describe('account states and cancelling', () => {
  it('does not sign in a disabled account', async () => {
    await node.services.accounts.create({ username: 'erin', password: 'erinpass', disabled: true });
    const { browser, page } = await loginPage();
    const answer = expectPage(await signIn(browser, page, 'erin', 'erinpass'));
    expect(answer.status).toBe(403);
    expect(textOf(answer)).toContain('This account is disabled.');
    expect(formsOf(answer).some((f) => f.action.endsWith('/login'))).toBe(true);
  });

  it('cancelling returns access_denied to the relying party', async () => {
    const browser = newBrowser();
    const started = await start(browser, web, DEMO_WEB.redirectUri);
    const callback = expectCallback(await browser.submit(expectPage(started.outcome), '/abort'));
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(started.state);
  });

  it('shows the current step when a step URL is opened directly', async () => {
    const { browser, page } = await loginPage();
    const res = await browser.request(`${page.url}/login`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(new URL(page.url).pathname);
  });

  it('sends a post for another step to the current step', async () => {
    const { browser, page } = await loginPage();
    // Allowing consent is not possible while the interaction still waits for a login.
    const res = await browser.request(`${page.url}/confirm`, { form: { decision: 'allow' } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(new URL(page.url).pathname);
  });

  it('finds nothing at a finished step: the interaction is gone once the login is done', async () => {
    const { browser, page } = await loginPage();
    const consent = expectPage(await signIn(browser, page, ALICE.username, ALICE.password));
    expect(consent.url).not.toBe(page.url);
    const again = expectPage(await signIn(browser, page, ALICE.username, ALICE.password));
    expect(again.status).toBe(400);
    expect(textOf(again)).toContain('This sign-in page has expired');
  });
});

describe('cross-site forms', () => {
  it('refuses a post marked cross-site by the browser', async () => {
    const { browser, page } = await loginPage();
    const answer = expectPage(
      await browser.submit(
        page,
        '/login',
        { username: ALICE.username, password: ALICE.password },
        { 'sec-fetch-site': 'cross-site' },
      ),
    );
    expect(answer.status).toBe(403);
    expect(textOf(answer)).toContain('access_denied');
  });

  it('finds no interaction for a post without the interaction cookie', async () => {
    const { browser, page } = await loginPage();
    browser.clear(['_interaction', '_interaction.sig']);
    const answer = expectPage(await signIn(browser, page, ALICE.username, ALICE.password));
    expect(answer.status).toBe(400);
    expect(textOf(answer)).toContain('This sign-in page has expired or was opened in another browser.');
    expect(textOf(answer)).toContain('invalid_request');
  });

  it('refuses a JSON body with a page', async () => {
    const { browser, page } = await loginPage();
    const json = await fetch(`${page.url}/login`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: browser
          .cookies()
          .map((c) => `${c.name}=${c.value}`)
          .join('; '),
      },
      body: JSON.stringify({ username: ALICE.username, password: ALICE.password }),
    });
    expect(json.status).toBe(415);
    expect(json.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await json.text()).toContain('unsupported_media_type');
  });
});

describe('https issuers', () => {
  it('marks the cookies Secure behind a TLS-terminating proxy', async () => {
    const secure = await startTestServer({ env: { PROXY: 'true', ISSUER: 'https://login.example.test' } });
    try {
      const res = await fetch(
        `${secure.url}/auth?client_id=${DEMO_WEB.id}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(DEMO_WEB.redirectUri)}`,
        {
          redirect: 'manual',
          headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'login.example.test' },
        },
      );
      expect(res.status).toBe(303);
      const cookies = res.headers.getSetCookie();
      expect(cookies.length).toBeGreaterThan(0);
      for (const cookie of cookies) expect(cookie).toMatch(/;\s*secure(;|$)/i);
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
    } finally {
      await secure.stop();
    }
  });
});
