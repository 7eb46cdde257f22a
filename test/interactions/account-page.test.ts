/**
 * /account over HTTP with the page browser: the sign-in through gatehouse-account that comes back to
 * the page it started from (and to no other URL), the profile form (the API's rules, a changed
 * address unverified with a verification link on its way), the password change (other sessions and
 * their tokens end, this browser stays signed in), removing an app (its refresh token dies), signing
 * a session out, and every refusal: the form token, another site's post, bad fields, junk, and ids
 * that name nothing of this account (404 pages, never a 5xx).
 */
import { TEST_PASSWORD } from '../support/fixtures';
import { Browser, expectCallback, expectPage, formsOf, textOf, type Page } from '../support/browser';
import { isActive } from '../support/http';
import { startWebhookReceiver, webhookDelivery, type WebhookReceiver } from '../support/receivers';
import { discover, oidc } from '../support/rp';
import { startTestServer, type TestServer } from '../support/server';
import { eventually } from '../support/wait';
import { answerConsent, redeem, signIn, start } from './support/flow';

const APP_ID = 'page-app';
const APP_SECRET = 'page-app-secret-0123456789';
const APP_REDIRECT = 'http://localhost:9090/callback';

let node: TestServer;
let hook: WebhookReceiver;
let rp: oidc.Configuration;

beforeAll(async () => {
  hook = await startWebhookReceiver();
  node = await startTestServer({ env: { LOCKOUT_MAX_ATTEMPTS: '3', ...webhookDelivery(hook) } });
  // A third-party client: asked for consent, so it is a connected app once allowed.
  await node.services.clients.save({
    client_id: APP_ID,
    client_name: 'Page App',
    client_secret: APP_SECRET,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [APP_REDIRECT],
    scope: 'openid profile email offline_access',
  });
  rp = await discover(node.issuer, APP_ID, APP_SECRET);
});

afterAll(async () => {
  await node?.stop();
  await hook?.close();
});

const accountUrl = () => `${node.issuer}/account`;
/** Follows every redirect but the app's. */
const newBrowser = () => new Browser(['http://localhost:9090/']);

let named = 0;
/** A fresh account per test: sessions, consents and lockouts are per account. */
async function newAccount(profile: { email?: string } = {}) {
  named += 1;
  return node.services.accounts.create({
    username: `page-${named}`,
    password: TEST_PASSWORD,
    givenName: 'Ada',
    familyName: 'Lovelace',
    email: profile.email ?? `page-${named}@example.com`,
    emailVerified: true,
  });
}

/** Opens /account signed out: the login page of gatehouse-account, then back on /account. */
async function signInToAccount(browser: Browser, username: string, password = TEST_PASSWORD): Promise<Page> {
  const login = expectPage(await browser.go(accountUrl()));
  expect(login.url).toMatch(new RegExp(`^${node.issuer}/interaction/`));
  const page = expectPage(await browser.submit(login, '/login', { username, password }));
  expect([page.url, page.status]).toEqual([accountUrl(), 200]);
  return page;
}

/** Signs `username` in to Page App in `browser`, allowing what it asks: its tokens. */
async function signInToApp(browser: Browser, username: string, password = TEST_PASSWORD) {
  // prompt=consent: offline_access is dropped from a request without it (OpenID Connect Core §11).
  const started = await start(browser, rp, APP_REDIRECT, {
    scope: 'openid profile offline_access',
    prompt: 'consent',
  });
  let outcome = started.outcome;
  if (outcome.kind === 'page' && outcome.page.html.includes('name="username"'))
    outcome = await signIn(browser, outcome.page, username, password);
  if (outcome.kind === 'page') outcome = await answerConsent(browser, outcome.page, 'allow');
  return redeem(rp, expectCallback(outcome), started);
}

/** The form of `page` whose action's path is `path` (or matches it). */
function formAt(page: Page, path: string | RegExp) {
  const form = formsOf(page).find((f) => {
    const pathname = new URL(f.action).pathname;
    return typeof path === 'string' ? pathname === path : path.test(pathname);
  });
  if (!form) throw new Error(`no form for ${String(path)} on ${page.url}:\n${textOf(page)}`);
  return form;
}

/** The text of each item of the sessions list. */
function sessionItems(page: Page): string[] {
  const section = /aria-labelledby="sessions-title">([\s\S]*?)<\/section>/.exec(page.html)![1]!;
  return [...section.matchAll(/<li[^>]*>([\s\S]*?)<\/li>/g)].map((m) =>
    m[1]!
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
}

/** The session the page marks as this device's: the id in its sign-out form. */
function currentSessionId(page: Page): string {
  const match = /<li class="account-current">[\s\S]*?action="\/account\/sessions\/([^/"]+)\/revoke"/.exec(
    page.html,
  );
  if (!match) throw new Error(`no current session on the page:\n${textOf(page)}`);
  return decodeURIComponent(match[1]!);
}

describe('signing in', () => {
  it('sends a visitor to the login of gatehouse-account and back to /account, showing the page', async () => {
    const account = await newAccount();
    const browser = newBrowser();
    const first = await browser.request(accountUrl());
    expect(first.status).toBe(303);
    expect(new URL(first.headers.get('location')!, node.issuer).pathname).toBe('/auth');
    const returnCookie = browser.cookies().find((c) => c.name === 'gatehouse.account_return');
    expect(returnCookie?.value).toBe('/account');
    expect(returnCookie?.attributes).toMatch(/httponly/i);

    const login = expectPage(
      await browser.go(new URL(first.headers.get('location')!, node.issuer).toString()),
    );
    const page = expectPage(
      await browser.submit(login, '/login', { username: account.username, password: TEST_PASSWORD }),
    );
    expect([page.url, page.status]).toEqual([accountUrl(), 200]);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.html).not.toMatch(/<script|style=/);
    const text = textOf(page);
    expect(text).toContain(`Signed in as ${account.username}.`);
    expect(formAt(page, '/account/profile').fields).toMatchObject({
      given_name: 'Ada',
      family_name: 'Lovelace',
      email: account.email,
      phone_number: '',
      locale: '',
    });
    expect(text).toContain('Verified');
    expect(text).toContain('No app has access to your account.');
    expect(sessionItems(page)).toEqual([expect.stringMatching(/This device .*Apps: Gatehouse account/)]);
    expect(text).toContain('Authenticator app');
    expect(page.html).toContain('href="/account/mfa"');
    expect(page.html).toMatch(/href="\/session\/end\?client_id=gatehouse-account"/);
    expect(browser.cookies().map((c) => c.name)).not.toContain('gatehouse.account_return');
  });

  it('returns to /account/mfa when the sign-in started there', async () => {
    const account = await newAccount();
    const browser = newBrowser();
    const login = expectPage(await browser.go(`${accountUrl()}/mfa`));
    const page = expectPage(
      await browser.submit(login, '/login', { username: account.username, password: TEST_PASSWORD }),
    );
    expect(page.url).toBe(`${accountUrl()}/mfa`);
    expect(page.html).toContain('href="/account"');
  });

  it('never returns to a URL a forged return cookie names: only to a page of its list', async () => {
    const account = await newAccount();
    const browser = new Browser([`${node.issuer}/account/callback`]);
    const login = expectPage(await browser.go(`${accountUrl()}/mfa`));
    const callback = expectCallback(
      await browser.submit(login, '/login', { username: account.username, password: TEST_PASSWORD }),
    );
    // The jar's cookies with the return cookie swapped for another site's URL (its signature kept).
    const cookie = browser.jar
      .header(callback)!
      .replace(/gatehouse\.account_return=[^;]*/, 'gatehouse.account_return=https%3A%2F%2Fevil.example%2F');
    const res = await fetch(callback, { headers: { cookie }, redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account');
  });
});

describe('the profile form', () => {
  it('saves the fields as PUT /api/profile does, and a changed phone number is no longer verified', async () => {
    const account = await newAccount();
    await node.services.accounts.updateProfile(account.id, {
      phoneNumber: '+15550100001',
      phoneNumberVerified: true,
    });
    const browser = newBrowser();
    const page = await signInToAccount(browser, account.username);
    const saved = expectPage(
      await browser.submit(formAt(page, '/account/profile'), {
        given_name: '  Grace ',
        family_name: '',
        phone_number: '+4930123456',
        locale: 'de-AT',
      }),
    );
    expect(saved.url).toBe(`${accountUrl()}?done=profile-saved`);
    expect(textOf(saved)).toContain('Your profile was saved.');
    expect(formAt(saved, '/account/profile').fields).toMatchObject({
      given_name: 'Grace',
      family_name: '',
      locale: 'de-AT',
    });
    await expect(node.services.accounts.findById(account.id)).resolves.toMatchObject({
      givenName: 'Grace',
      familyName: null,
      phoneNumber: '+4930123456',
      phoneNumberVerified: false,
      locale: 'de-AT',
      email: account.email,
      emailVerified: true,
    });
  });

  it('makes a changed address unverified and sends it a verification link', async () => {
    const account = await newAccount();
    const browser = newBrowser();
    const page = await signInToAccount(browser, account.username);
    const saved = expectPage(
      await browser.submit(formAt(page, '/account/profile'), {
        email: `new-${account.username}@example.com`,
      }),
    );
    expect(saved.url).toBe(`${accountUrl()}?done=email-changed`);
    expect(textOf(saved)).toContain('A message with a link to confirm the new address is on its way.');
    expect(textOf(saved)).toContain('Not verified');
    await expect(node.services.accounts.findById(account.id)).resolves.toMatchObject({
      email: `new-${account.username}@example.com`,
      emailVerified: false,
    });
    const delivery = await eventually(() =>
      hook.deliveries.find(
        (d) => d.json.event === 'email_verification.requested' && d.json.username === account.username,
      ),
    );
    expect(delivery.json.url).toMatch(new RegExp(`^${node.issuer}/account/verify\\?token=`));
  });

  it('refuses a bad field with 400 and the message beside it, saving nothing', async () => {
    const account = await newAccount();
    const browser = newBrowser();
    const page = await signInToAccount(browser, account.username);
    const refused = expectPage(
      await browser.submit(formAt(page, '/account/profile'), {
        given_name: 'Changed',
        phone_number: '0301234',
        email: 'not an address',
      }),
    );
    expect(refused.status).toBe(400);
    const text = textOf(refused);
    expect(text).toContain('Nothing was saved: check the fields marked below.');
    expect(text).toContain('Enter the number in international format');
    expect(text).toContain('Enter an e-mail address such as name@example.com.');
    expect(refused.html).toMatch(
      /id="phone-number"[^>]*aria-describedby="phone-number-hint phone-number-error"[^>]*aria-invalid="true"/,
    );
    // What was typed comes back for correcting.
    expect(formAt(refused, '/account/profile').fields).toMatchObject({
      given_name: 'Changed',
      phone_number: '0301234',
    });
    await expect(node.services.accounts.findById(account.id)).resolves.toMatchObject({
      givenName: 'Ada',
      phoneNumber: null,
      email: account.email,
    });
  });

  it('answers junk with 400, never a 5xx: an over-long name, U+0000, a repeated field', async () => {
    const account = await newAccount();
    const browser = newBrowser();
    const page = await signInToAccount(browser, account.username);
    const form = formAt(page, '/account/profile');
    const long = expectPage(await browser.submit(form, { given_name: 'x'.repeat(5000) }));
    expect(long.status).toBe(400);
    expect(textOf(long)).toContain('Enter at most 150 characters.');
    expect(long.html).not.toContain('x'.repeat(600));
    const nul = expectPage(await browser.submit(form, { family_name: 'a\u0000b' }));
    expect(nul.status).toBe(400);
    expect(textOf(nul)).toContain('contains a character that is not allowed');
    // Only the fields a form sends change: here the locale alone.
    const localeOnly = await browser.request(form.action, {
      method: 'POST',
      form: { csrf: form.fields.csrf!, locale: 'en' },
    });
    expect(localeOnly.status).toBe(303);
    // A field given twice is a list, which no field takes.
    const body = `csrf=${encodeURIComponent(form.fields.csrf!)}&locale=en&locale=de`;
    const cookie = browser.jar.header(new URL(form.action))!;
    const array = await fetch(form.action, {
      method: 'POST',
      body,
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
    });
    expect(array.status).toBe(400);
    expect(await array.text()).toContain('Enter a language tag such as en, de or en-GB.');
    await expect(node.services.accounts.findById(account.id)).resolves.toMatchObject({
      givenName: 'Ada',
      familyName: 'Lovelace',
      locale: 'en',
    });
  });
});

describe('the password form', () => {
  it('ends every other session and its tokens, and keeps this browser signed in', async () => {
    const account = await newAccount();
    const here = newBrowser();
    const page = await signInToAccount(here, account.username);
    // Another browser: signed in to the account page and to Page App, with a refresh token.
    const there = newBrowser();
    await signInToAccount(there, account.username);
    const appTokens = await signInToApp(there, account.username);
    expect(appTokens.refresh_token).toEqual(expect.any(String));
    expect(await isActive(node.issuer, appTokens.access_token)).toBe(true);

    const changed = expectPage(
      await here.submit(formAt(page, '/account/password'), {
        current_password: TEST_PASSWORD,
        new_password: 'a new password 2',
        new_password_repeat: 'a new password 2',
      }),
    );
    expect(changed.url).toBe(`${accountUrl()}?done=password-changed`);
    expect(textOf(changed)).toContain('Your password was changed.');

    expect(await isActive(node.issuer, appTokens.access_token)).toBe(false);
    expect((await oidc.tokenIntrospection(rp, appTokens.refresh_token!)).active).toBe(false);
    // The other browser signs in again; this one is still signed in.
    const otherAgain = await there.request(accountUrl());
    expect(otherAgain.status).toBe(303);
    expect((await here.request(accountUrl())).status).toBe(200);
    expect(sessionItems(expectPage(await here.go(accountUrl())))).toHaveLength(1);
    // The new password signs in, the old one does not.
    await expect(
      node.services.accounts.authenticate(account.username, 'a new password 2'),
    ).resolves.toMatchObject({ ok: true });
  });

  it('refuses a wrong current password, a short or unrepeated new one, with 400 beside the field', async () => {
    const account = await newAccount();
    const browser = newBrowser();
    const page = await signInToAccount(browser, account.username);
    const form = formAt(page, '/account/password');
    const cases: [Record<string, string>, string, string][] = [
      [
        {
          current_password: 'wrong password',
          new_password: 'long enough 1',
          new_password_repeat: 'long enough 1',
        },
        'current-password',
        'That is not your current password.',
      ],
      [
        { current_password: TEST_PASSWORD, new_password: 'short', new_password_repeat: 'short' },
        'new-password',
        'Use at least 8 characters.',
      ],
      [
        {
          current_password: TEST_PASSWORD,
          new_password: 'x'.repeat(129),
          new_password_repeat: 'x'.repeat(129),
        },
        'new-password',
        'Use at most 128 characters.',
      ],
      [
        {
          current_password: TEST_PASSWORD,
          new_password: 'long enough 1',
          new_password_repeat: 'long enough 2',
        },
        'new-password-repeat',
        'The two new passwords are not the same.',
      ],
      [
        { current_password: '', new_password: 'long enough 1', new_password_repeat: 'long enough 1' },
        'current-password',
        'Enter your current password.',
      ],
    ];
    for (const [fields, id, message] of cases) {
      const refused = expectPage(await browser.submit(form, fields));
      expect([id, refused.status]).toEqual([id, 400]);
      expect(refused.html).toContain(
        `<p class="field-error" id="${id}-error">${message.replace(/'/g, '&#39;')}</p>`,
      );
      expect(refused.html).toMatch(new RegExp(`id="${id}"[^>]*aria-invalid="true"`));
      // No password is ever shown again.
      for (const value of Object.values(fields))
        if (value) expect(refused.html).not.toContain(`value="${value}"`);
    }
    await expect(node.services.accounts.authenticate(account.username, TEST_PASSWORD)).resolves.toMatchObject(
      { ok: true },
    );
  });

  it('answers 429 with Retry-After once wrong passwords lock the name', async () => {
    const account = await newAccount();
    const browser = newBrowser();
    const page = await signInToAccount(browser, account.username);
    const form = formAt(page, '/account/password');
    const statuses: number[] = [];
    let last: Page = page;
    for (let i = 0; i < 3; i++) {
      last = expectPage(
        await browser.submit(form, {
          current_password: `wrong ${i}`,
          new_password: 'long enough 1',
          new_password_repeat: 'long enough 1',
        }),
      );
      statuses.push(last.status);
    }
    expect(statuses).toEqual([400, 400, 429]);
    expect(textOf(last)).toContain('Too many wrong passwords.');
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('connected apps', () => {
  it('lists an allowed app with what it may do, and removing it kills its refresh token', async () => {
    const account = await newAccount();
    const browser = newBrowser();
    const tokens = await signInToApp(browser, account.username);
    const page = expectPage(await browser.go(accountUrl()));
    expect(page.status).toBe(200);
    const apps = /aria-labelledby="apps-title">([\s\S]*?)<\/section>/.exec(page.html)![1]!;
    expect(apps).toContain('Page App');
    expect(apps).toContain('Know who you are · Your profile · Stay connected');
    // The page reads the session the app's sign-in made: the account page signed nothing in itself.
    expect(sessionItems(page)).toEqual([expect.stringMatching(/This device .*Apps: Page App Sign out$/)]);

    const removed = expectPage(await browser.submit(formAt(page, `/account/consents/${APP_ID}/revoke`)));
    expect(removed.url).toBe(`${accountUrl()}?done=app-removed`);
    expect(textOf(removed)).toContain('No app has access to your account.');
    expect((await oidc.tokenIntrospection(rp, tokens.refresh_token!)).active).toBe(false);
    await expect(node.services.consents.list(account.id)).resolves.toEqual([]);
  });

  it('answers 404 for an app the person never allowed, an unknown id or junk', async () => {
    const account = await newAccount();
    const other = await newAccount();
    await signInToApp(newBrowser(), other.username);
    const browser = newBrowser();
    const page = await signInToAccount(browser, account.username);
    const { csrf } = formAt(page, '/account/profile').fields;
    for (const id of [APP_ID, 'no-such-app', 'gatehouse-account', '%00', 'x'.repeat(300)]) {
      const res = expectPage(
        await browser.go(`${accountUrl()}/consents/${id}/revoke`, { method: 'POST', form: { csrf: csrf! } }),
      );
      expect([id, res.status]).toEqual([id, 404]);
    }
    // The other person's consent is untouched.
    await expect(node.services.consents.list(other.id)).resolves.toHaveLength(1);
  });
});

describe('sessions', () => {
  it('lists this and another device and signs the other out', async () => {
    const account = await newAccount();
    const there = newBrowser();
    there.headers['user-agent'] = 'The Other Device/1.0';
    await signInToAccount(there, account.username);
    const here = newBrowser();
    here.headers['user-agent'] = 'This Device/2.0';
    const page = await signInToAccount(here, account.username);
    const items = sessionItems(page);
    expect(items).toHaveLength(2);
    expect(items.filter((item) => item.includes('This device'))).toEqual([
      expect.stringContaining('This Device/2.0'),
    ]);
    expect(items.filter((item) => item.includes('The Other Device/1.0'))).toHaveLength(1);

    const sessions = await node.services.sessions.list(account.id);
    const otherId = sessions.find((s) => s.userAgent === 'The Other Device/1.0')!.id;
    const ended = expectPage(await here.submit(formAt(page, `/account/sessions/${otherId}/revoke`)));
    expect(ended.url).toBe(`${accountUrl()}?done=session-ended`);
    expect(textOf(ended)).toContain('The device was signed out.');
    expect(sessionItems(ended)).toHaveLength(1);
    expect((await there.request(accountUrl())).status).toBe(303);
  });

  it('signs a session out once when two posts race: one 303, the other 404', async () => {
    const account = await newAccount();
    await signInToAccount(newBrowser(), account.username);
    const here = newBrowser();
    const page = await signInToAccount(here, account.username);
    const own = formAt(page, '/account/profile').fields.csrf!;
    const sessions = await node.services.sessions.list(account.id);
    expect(sessions).toHaveLength(2);
    const otherId = sessions.map((s) => s.id).find((id) => id !== currentSessionId(page))!;
    const action = `${accountUrl()}/sessions/${otherId}/revoke`;
    const answers = await Promise.all(
      [1, 2].map(() => here.request(action, { method: 'POST', form: { csrf: own } })),
    );
    expect(answers.map((res) => res.status).sort()).toEqual([303, 404]);
    await expect(node.services.sessions.list(account.id)).resolves.toHaveLength(1);
  });

  it('signs this browser out when its own session is ended: /account signs in again', async () => {
    const account = await newAccount();
    const browser = newBrowser();
    const page = await signInToAccount(browser, account.username);
    const own = formAt(page, `/account/sessions/${currentSessionId(page)}/revoke`);
    const res = await browser.request(own.action, { method: 'POST', form: own.fields });
    expect([res.status, res.headers.get('location')]).toEqual([303, '/account']);
    const again = await browser.request(accountUrl());
    expect(again.status).toBe(303);
    expect(new URL(again.headers.get('location')!, node.issuer).pathname).toBe('/auth');
    await expect(node.services.sessions.list(account.id)).resolves.toEqual([]);
  });

  it("answers 404 for an unknown id, another person's session, or junk", async () => {
    const account = await newAccount();
    const other = await newAccount();
    await signInToAccount(newBrowser(), other.username);
    const [othersSession] = await node.services.sessions.list(other.id);
    const browser = newBrowser();
    const page = await signInToAccount(browser, account.username);
    const { csrf } = formAt(page, '/account/profile').fields;
    for (const id of [othersSession!.id, 'no-such-session', '%00', '%F0%9F', 'x'.repeat(300)]) {
      const res = expectPage(
        await browser.go(`${accountUrl()}/sessions/${id}/revoke`, { method: 'POST', form: { csrf: csrf! } }),
      );
      expect([id, res.status]).toEqual([id, 404]);
    }
    await expect(node.services.sessions.list(other.id)).resolves.toHaveLength(1);
  });
});

describe('every form', () => {
  it('refuses a post without the form token, with a wrong one, and from another site', async () => {
    const account = await newAccount();
    const browser = newBrowser();
    const page = await signInToAccount(browser, account.username);
    const [own] = await node.services.sessions.list(account.id);
    const forms = [
      formAt(page, '/account/profile'),
      formAt(page, '/account/password'),
      formAt(page, `/account/sessions/${own!.id}/revoke`),
    ];
    for (const form of forms) {
      const { csrf, ...rest } = form.fields;
      const missing = expectPage(
        await browser.go(form.action, { method: 'POST', form: { ...rest, given_name: 'Mallory' } }),
      );
      expect([form.action, missing.status]).toEqual([form.action, 403]);
      expect(textOf(missing)).toContain('the form token is missing or does not match this session');
      const wrong = expectPage(
        await browser.submit(form, { csrf: `${csrf!.slice(0, -2)}xx`, given_name: 'Mallory' }),
      );
      expect(wrong.status).toBe(403);
      const crossSite = expectPage(
        await browser.submit(form, { given_name: 'Mallory' }, { 'sec-fetch-site': 'cross-site' }),
      );
      expect(crossSite.status).toBe(403);
      expect(textOf(crossSite)).toContain('the form was not submitted from this site');
    }
    await expect(node.services.accounts.findById(account.id)).resolves.toMatchObject({ givenName: 'Ada' });
    await expect(node.services.sessions.list(account.id)).resolves.toHaveLength(1);
  });

  it('sends a signed-out post back to /account, and a form URL opened directly to the page', async () => {
    const browser = newBrowser();
    for (const path of [
      '/account/profile',
      '/account/password',
      '/account/sessions/x/revoke',
      '/account/consents/x/revoke',
    ]) {
      const post = await browser.request(`${node.issuer}${path}`, { method: 'POST', form: { csrf: 'x' } });
      expect([path, post.status, post.headers.get('location')]).toEqual([path, 303, '/account']);
      const get = await browser.request(`${node.issuer}${path}`);
      expect([path, get.status, get.headers.get('location')]).toEqual([path, 303, '/account']);
    }
  });
});
