/**
 * /account/mfa over HTTP with the page browser: the sign-in through Gatehouse's own authorization
 * endpoint as the first-party client gatehouse-account (response_type=none, state in a cookie),
 * enrolling an authenticator app with a code computed by otplib from the secret on the page, the
 * recovery codes shown once, wrong codes changing nothing, the form token bound to the session,
 * removing the app with a recovery code, a locked name, and a login-CSRF callback refused.
 */
import { generate } from 'otplib';
import { ADMIN, ALICE, type DemoUser } from '../support/fixtures';
import { Browser, expectPage, formsOf, textOf, type Outcome, type Page } from '../support/browser';
import { freePort, startTestServer, type TestServer } from '../support/server';

let node: TestServer;

beforeAll(async () => {
  node = await startTestServer({ env: { LOCKOUT_MAX_ATTEMPTS: '3' } });
});

afterAll(() => node?.stop());

const mfaUrl = () => `${node.issuer}/account/mfa`;

/** A browser that follows every redirect (the account pages and the provider are one origin). */
const newBrowser = () => new Browser([]);

/** Opens /account/mfa signed out: the login page of gatehouse-account, then back on the page. */
async function signInToAccountPage(browser: Browser, user: DemoUser): Promise<Page> {
  const login = expectPage(await browser.go(mfaUrl()));
  expect(login.url).toMatch(new RegExp(`^${node.issuer}/interaction/`));
  const page = expectPage(
    await browser.submit(login, '/login', { username: user.username, password: user.password }),
  );
  expect(page.url).toBe(mfaUrl());
  expect(page.status).toBe(200);
  return page;
}

/** The form of `page` whose action ends with `path`. */
function formAt(page: Page, path: string) {
  const form = formsOf(page).find((f) => new URL(f.action).pathname === path);
  if (!form) throw new Error(`no form for ${path} on ${page.url}:\n${textOf(page)}`);
  return form;
}

/** The base32 secret shown for typing (in groups of four). */
function secretOn(page: Page): string {
  const match = /<code class="totp-secret">([A-Z2-7 ]+)<\/code>/.exec(page.html);
  if (!match) throw new Error(`no secret on the page:\n${textOf(page)}`);
  return match[1]!.replace(/ /g, '');
}

function recoveryCodesOn(page: Page): string[] {
  const list = /<ul class="recovery-codes"[^>]*>([\s\S]*?)<\/ul>/.exec(page.html);
  return list ? [...list[1]!.matchAll(/<code>([^<]+)<\/code>/g)].map((m) => m[1]!) : [];
}

const now = () => Math.floor(Date.now() / 1000);

async function startSetup(browser: Browser, page: Page): Promise<Page> {
  const setup = expectPage(await browser.submit(formAt(page, '/account/mfa/totp')));
  expect(setup.status).toBe(200);
  return setup;
}

describe('signing in', () => {
  it('sends a visitor without a session to the login of gatehouse-account and back to the page', async () => {
    const browser = newBrowser();
    const first = await browser.request(mfaUrl());
    expect(first.status).toBe(303);
    const location = new URL(first.headers.get('location')!, node.issuer);
    expect(location.pathname).toBe('/auth');
    expect(Object.fromEntries(location.searchParams)).toEqual({
      client_id: 'gatehouse-account',
      response_type: 'none',
      redirect_uri: `${node.issuer}/account/callback`,
      scope: 'openid account',
      state: expect.stringMatching(/^[\w-]{43}$/),
    });
    const state = browser.cookies().find((c) => c.name === 'gatehouse.account_state');
    expect(state?.value).toBe(location.searchParams.get('state'));
    expect(state?.attributes).toMatch(/path=\/account/i);
    expect(state?.attributes).toMatch(/httponly/i);
    expect(state?.attributes).toMatch(/samesite=lax/i);
    // Nothing of the provider's session for a visitor who has none.
    expect(browser.cookies().map((c) => c.name)).not.toContain('_session');

    const login = expectPage(await browser.go(location.toString()));
    expect(textOf(login)).toContain('to continue to Gatehouse account');
    const page = expectPage(
      await browser.submit(login, '/login', { username: ALICE.username, password: ALICE.password }),
    );
    expect(page.url).toBe(mfaUrl());
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-robots-tag')).toBe('noindex');
    expect(textOf(page)).toContain(`Signed in as ${ALICE.username}.`);
    expect(textOf(page)).toContain('Not set up');
    expect(page.html).not.toMatch(/<script(?! src="\/assets\/)|style=/);
    // The state is spent at the callback.
    expect(browser.cookies().map((c) => c.name)).not.toContain('gatehouse.account_state');

    // Signed in: the page again without a sign-in.
    const again = await browser.request(mfaUrl());
    expect(again.status).toBe(200);
  });

  it('refuses a callback whose state is not the one of this browser (login CSRF)', async () => {
    const browser = newBrowser();
    const started = await browser.request(mfaUrl());
    const state = new URL(started.headers.get('location')!, node.issuer).searchParams.get('state')!;
    const foreign = expectPage(await browser.go(`${node.issuer}/account/callback?state=someone-elses-state`));
    expect(foreign.status).toBe(403);
    expect(textOf(foreign)).toContain('the sign-in response does not belong to this browser');
    // The cookie was spent by the refused attempt: its own state does not work afterwards either.
    const spent = expectPage(await browser.go(`${node.issuer}/account/callback?state=${state}`));
    expect(spent.status).toBe(403);
    // A browser that never started a sign-in.
    const fresh = expectPage(await newBrowser().go(`${node.issuer}/account/callback?state=${state}`));
    expect(fresh.status).toBe(403);
  });

  it('behind a TLS terminator (an https issuer, an http hop), sends the state cookie Secure', async () => {
    const port = await freePort();
    const tls = await startTestServer({ port, env: { ISSUER: `https://127.0.0.1:${port}` } });
    try {
      const res = await fetch(`http://127.0.0.1:${port}/account/mfa`, { redirect: 'manual' });
      expect(res.status).toBe(303);
      const location = new URL(res.headers.get('location')!, tls.issuer);
      expect(location.searchParams.get('redirect_uri')).toBe(`https://127.0.0.1:${port}/account/callback`);
      const cookies = res.headers.getSetCookie().filter((c) => c.startsWith('gatehouse.account_state'));
      expect(cookies).toHaveLength(2);
      for (const cookie of cookies) expect(cookie).toMatch(/; secure/i);
    } finally {
      await tls.stop();
    }
  });

  it('shows the cancelled sign-in as an error page', async () => {
    const browser = newBrowser();
    const login = expectPage(await browser.go(mfaUrl()));
    const cancelled = expectPage(await browser.submit(login, '/abort'));
    expect(cancelled.url).toMatch(new RegExp(`^${node.issuer}/account/callback\\?`));
    expect(cancelled.status).toBe(403);
    expect(textOf(cancelled)).toContain('the sign-in did not complete: access_denied');
  });
});

describe('an authenticator app', () => {
  const browser = newBrowser();
  let firstCodes: string[];

  it('is enrolled with a code from the secret shown, after a wrong code changed nothing', async () => {
    const page = await signInToAccountPage(browser, ALICE);
    const setup = await startSetup(browser, page);
    expect(setup.html).toMatch(/<img class="totp-qr" src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+"/);
    const secret = secretOn(setup);
    expect(setup.headers.get('cache-control')).toBe('no-store');

    const wrongCode = await generate({ secret, epoch: now() - 600 });
    const wrong = expectPage(
      await browser.submit(formAt(setup, '/account/mfa/totp/verify'), { code: wrongCode }),
    );
    expect(wrong.status).toBe(400);
    expect(textOf(wrong)).toContain('That code is not right.');
    // The same setup again: the app keeps the entry it has.
    expect(secretOn(wrong)).toBe(secret);
    await expect(node.services.mfa.summary(ALICE.id)).resolves.toMatchObject({
      totp: { status: 'pending' },
      recoveryCodesRemaining: 0,
    });

    const done = expectPage(
      await browser.submit(formAt(wrong, '/account/mfa/totp/verify'), { code: await generate({ secret }) }),
    );
    expect(done.status).toBe(200);
    expect(textOf(done)).toContain('Your authenticator app is set up');
    firstCodes = recoveryCodesOn(done);
    expect(firstCodes).toHaveLength(10);
    expect(new Set(firstCodes).size).toBe(10);
    await expect(node.services.mfa.summary(ALICE.id)).resolves.toMatchObject({
      totp: { status: 'active' },
      recoveryCodesRemaining: 10,
    });
  });

  it('shows the recovery codes once: reloading the page does not show them', async () => {
    const page = expectPage(await browser.go(mfaUrl()));
    expect(page.status).toBe(200);
    expect(recoveryCodesOn(page)).toEqual([]);
    for (const code of firstCodes) expect(page.html).not.toContain(code);
    expect(textOf(page)).toContain('Recovery codes left: 10 of 10.');
    expect(textOf(page)).toContain('Active');
  });

  it('refuses a post without, or with a wrong, form token, and one from another site', async () => {
    const page = expectPage(await browser.go(mfaUrl()));
    const regenerate = formAt(page, '/account/mfa/recovery-codes');
    const { csrf, ...withoutToken } = regenerate.fields;
    expect(csrf).toMatch(/^[\w-]{43}$/);

    const missing = expectPage(await browser.go(regenerate.action, { method: 'POST', form: withoutToken }));
    expect(missing.status).toBe(403);
    expect(textOf(missing)).toContain('the form token is missing or does not match this session');
    const wrong = expectPage(await browser.submit(regenerate, { csrf: `${csrf!.slice(0, -2)}xx` }));
    expect(wrong.status).toBe(403);
    const crossSite = expectPage(await browser.submit(regenerate, {}, { 'sec-fetch-site': 'cross-site' }));
    expect(crossSite.status).toBe(403);
    expect(textOf(crossSite)).toContain('the form was not submitted from this site');

    // Another person's session: alice's token does not fit it.
    const other = newBrowser();
    await signInToAccountPage(other, ADMIN);
    const foreign = expectPage(await other.go(regenerate.action, { method: 'POST', form: { csrf: csrf! } }));
    expect(foreign.status).toBe(403);

    // Nothing was regenerated: the first codes still count.
    await expect(node.services.mfa.summary(ALICE.id)).resolves.toMatchObject({ recoveryCodesRemaining: 10 });
  });

  it('is not removed with a wrong code', async () => {
    const page = expectPage(await browser.go(mfaUrl()));
    const wrong = expectPage(
      await browser.submit(formAt(page, '/account/mfa/totp/remove'), { code: '000000' }),
    );
    expect(wrong.status).toBe(400);
    expect(textOf(wrong)).toContain('That code is not right.');
    expect(wrong.html).toMatch(/aria-invalid="true"/);
    await expect(node.services.mfa.summary(ALICE.id)).resolves.toMatchObject({ totp: { status: 'active' } });
  });

  it('is removed with a recovery code, and the recovery codes go with it', async () => {
    const page = expectPage(await browser.go(mfaUrl()));
    const removed = expectPage(
      await browser.submit(formAt(page, '/account/mfa/totp/remove'), { code: firstCodes[3]! }),
    );
    expect(removed.url).toBe(`${mfaUrl()}?done=totp-removed`);
    expect(removed.status).toBe(200);
    expect(textOf(removed)).toContain('The authenticator app was removed.');
    expect(textOf(removed)).toContain('Not set up');
    await expect(node.services.mfa.summary(ALICE.id)).resolves.toMatchObject({
      totp: null,
      recoveryCodesRemaining: 0,
    });
  });
});

describe('recovery codes and a locked name', () => {
  const browser = newBrowser();

  async function enroll(page: Page): Promise<{ page: Outcome; secret: string }> {
    const setup = await startSetup(browser, page);
    const secret = secretOn(setup);
    return {
      page: await browser.submit(formAt(setup, '/account/mfa/totp/verify'), {
        code: await generate({ secret }),
      }),
      secret,
    };
  }

  it('regenerates the recovery codes, shown once, the old ones spent', async () => {
    const page = await signInToAccountPage(browser, ADMIN);
    const enrolled = expectPage((await enroll(page)).page);
    const old = recoveryCodesOn(enrolled);
    expect(old).toHaveLength(10);
    const regenerated = expectPage(await browser.submit(formAt(enrolled, '/account/mfa/recovery-codes')));
    expect(regenerated.status).toBe(200);
    const fresh = recoveryCodesOn(regenerated);
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((code) => old.includes(code))).toEqual([]);
    await expect(node.services.mfa.checkCode(ADMIN.id, old[0]!)).resolves.toBeNull();
    expect(recoveryCodesOn(expectPage(await browser.go(mfaUrl())))).toEqual([]);
  });

  it('answers 429 once wrong codes lock the name, and refuses a right one then', async () => {
    let page = expectPage(await browser.go(mfaUrl()));
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      page = expectPage(
        await browser.submit(formAt(page, '/account/mfa/totp/remove'), { code: `00000${i}` }),
      );
      statuses.push(page.status);
    }
    expect(statuses).toEqual([400, 400, 429]);
    expect(textOf(page)).toContain('Too many wrong codes.');
    expect(Number(page.headers.get('retry-after'))).toBeGreaterThan(0);
    await expect(node.services.mfa.summary(ADMIN.id)).resolves.toMatchObject({ totp: { status: 'active' } });
  });
});
