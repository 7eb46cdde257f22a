/**
 * /admin over HTTP with the page browser: an admin signs in through gatehouse-admin (code + PKCE,
 * redeemed in process) and sees the dashboard's figures; a person without the admin role is
 * refused; a used callback does not sign in twice; sign-out needs the session's form token and a
 * same-site post, and ends the console session and its grant on every copy of the cookie; the
 * session ends when its account is disabled, and after ADMIN_SESSION_TTL idle; ADMIN_CONSOLE=false
 * leaves no console and no client.
 */
import { ADMIN, ALICE, DEMO_SERVICE } from '../support/fixtures';
import { tokenRequest } from '../support/http';
import { Browser, expectCallback, expectPage, formsOf, textOf, type Page } from '../support/browser';
import { startTestServer, type TestServer } from '../support/server';

let node: TestServer;

beforeAll(async () => {
  node = await startTestServer();
});

afterAll(async () => {
  await node?.stop();
});

const consoleUrl = (server: TestServer = node) => `${server.issuer}/admin`;

async function signIn(browser: Browser, user: { username: string; password: string }, server = node) {
  const login = expectPage(await browser.go(consoleUrl(server)));
  expect(login.url).toMatch(new RegExp(`^${server.issuer}/interaction/`));
  return expectPage(
    await browser.submit(login, '/login', { username: user.username, password: user.password }),
  );
}

function sessionCookie(browser: Browser) {
  return browser.cookies().find((c) => c.name === 'gatehouse.admin');
}

/** GET /admin without following redirects: 200 signed in, 303 to the authorization endpoint otherwise. */
async function consoleAnswer(browser: Browser, server = node): Promise<number> {
  const res = await browser.request(consoleUrl(server));
  await res.arrayBuffer();
  return res.status;
}

describe('signing in', () => {
  it('signs an admin in and shows the dashboard with the database’s figures', async () => {
    const browser = new Browser();
    const page = await signIn(browser, ADMIN);
    expect([page.url, page.status]).toEqual([consoleUrl(), 200]);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const text = textOf(page);
    expect(text).toContain('Admin console');
    expect(text).toContain(`Signed in to the admin console as ${ADMIN.username}.`);
    const accounts = await node.services.accounts.count();
    expect(text).toMatch(new RegExp(`Accounts\\s*${accounts}\\b`));
    const cookie = sessionCookie(browser);
    expect(cookie?.path).toBe('/admin');
    expect(cookie?.attributes).toMatch(/HttpOnly/);
    expect(cookie?.attributes).toMatch(/SameSite=Strict/i);
  });

  it('counts what happened since the last visit: a token issued, a failed sign-in', async () => {
    const browser = new Browser();
    const figure = (page: Page, label: string) =>
      Number(new RegExp(`${label}\\s*(\\d+)`).exec(textOf(page))?.[1] ?? NaN);
    const before = await signIn(browser, ADMIN);
    const [tokens, failures] = [
      figure(before, 'Tokens issued in the last hour'),
      figure(before, 'Failed sign-ins in the last hour'),
    ];
    expect((await tokenRequest(node.issuer, { grant_type: 'client_credentials' }, DEMO_SERVICE)).status).toBe(
      200,
    );
    const stranger = new Browser();
    const login = expectPage(await stranger.go(consoleUrl()));
    expect(
      expectPage(await stranger.submit(login, '/login', { username: ALICE.username, password: 'wrong' }))
        .status,
    ).toBe(401);
    const after = expectPage(await browser.go(consoleUrl()));
    expect([
      figure(after, 'Tokens issued in the last hour'),
      figure(after, 'Failed sign-ins in the last hour'),
    ]).toEqual([tokens + 1, failures + 1]);
  });

  it('refuses a person without the admin role, and sets no console session', async () => {
    const browser = new Browser();
    const page = await signIn(browser, ALICE);
    expect(page.status).toBe(403);
    expect(textOf(page)).toContain('the console is for administrators');
    expect(sessionCookie(browser)).toBeUndefined();
    expect(await consoleAnswer(browser)).toBe(303);
  });

  it('accepts a callback once: its state and code are spent', async () => {
    const browser = new Browser([`${node.issuer}/admin/callback`]);
    const login = expectPage(await browser.go(consoleUrl()));
    const callback = expectCallback(
      await browser.submit(login, '/login', { username: ADMIN.username, password: ADMIN.password }),
    );
    expect(callback.searchParams.get('code')).toBeTruthy();
    const first = await browser.request(callback.toString());
    expect([first.status, first.headers.get('location')]).toEqual([303, '/admin']);
    const again = await browser.request(callback.toString());
    expect(again.status).toBe(403);
    // Another browser presenting the same code has neither the state nor the verifier.
    const stranger = await new Browser().request(callback.toString());
    expect(stranger.status).toBe(403);
  });
});

describe('signing out', () => {
  async function signedInAdmin(): Promise<{ browser: Browser; page: Page }> {
    const browser = new Browser();
    const page = await signIn(browser, ADMIN);
    expect(page.status).toBe(200);
    return { browser, page };
  }

  it('refuses a post without the form token, or from another site, and changes nothing', async () => {
    const { browser, page } = await signedInAdmin();
    const form = formsOf(page).find((f) => f.action.endsWith('/admin/sign-out'))!;
    const noToken = expectPage(await browser.go(form.action, { method: 'POST', form: {} }));
    expect(noToken.status).toBe(403);
    const foreign = expectPage(await browser.submit(form, {}, { 'sec-fetch-site': 'cross-site' }));
    expect(foreign.status).toBe(403);
    expect(await consoleAnswer(browser)).toBe(200);
  });

  it('ends the console session and its grant, for every copy of the cookie', async () => {
    const { browser, page } = await signedInAdmin();
    const copy = new Browser();
    const cookieHeader = browser
      .cookies()
      .filter((c) => c.path.startsWith('/admin') || c.path === '/')
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const signedOut = expectPage(await browser.submit(page, '/admin/sign-out'));
    expect([signedOut.status, textOf(signedOut)]).toEqual([
      200,
      expect.stringContaining('Signed out of the console'),
    ]);
    expect(await consoleAnswer(browser)).toBe(303);
    // The cookie as it was before sign-out, replayed: its grant is gone.
    const replay = await copy.request(consoleUrl(), { headers: { cookie: cookieHeader } });
    expect(replay.status).toBe(303);
    expect(new URL(replay.headers.get('location')!, node.issuer).pathname).toBe('/auth');
  });

  it('ends when the account is disabled', async () => {
    const created = await node.services.accounts.create({
      username: 'console-admin',
      password: ADMIN.password,
      roles: ['admin'],
    });
    const browser = new Browser();
    expect((await signIn(browser, { username: 'console-admin', password: ADMIN.password })).status).toBe(200);
    await node.services.accounts.setDisabled(created.id, true);
    expect(await consoleAnswer(browser)).toBe(303);
  });
});

describe('ADMIN_SESSION_TTL and ADMIN_CONSOLE', () => {
  it('ends a session left idle longer than ADMIN_SESSION_TTL', async () => {
    const short = await startTestServer({ env: { ADMIN_SESSION_TTL: '3' } });
    try {
      const browser = new Browser();
      expect((await signIn(browser, ADMIN, short)).status).toBe(200);
      expect(await consoleAnswer(browser, short)).toBe(200);
      await new Promise((r) => setTimeout(r, 4200));
      expect(await consoleAnswer(browser, short)).toBe(303);
    } finally {
      await short.stop();
    }
  });

  it('ADMIN_CONSOLE=false: no console, and no gatehouse-admin client', async () => {
    const off = await startTestServer({ env: { ADMIN_CONSOLE: 'false' } });
    try {
      const page = expectPage(await new Browser().go(consoleUrl(off)));
      expect(page.status).toBe(404);
      const auth = expectPage(
        await new Browser().go(
          `${off.issuer}/auth?client_id=gatehouse-admin&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(`${off.issuer}/admin/callback`)}`,
        ),
      );
      expect(auth.status).toBe(400);
    } finally {
      await off.stop();
    }
  });
});
