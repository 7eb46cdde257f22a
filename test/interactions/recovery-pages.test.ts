/**
 * The recovery pages: /account/forgot, /account/reset?token=… and /account/verify?token=…, over
 * HTTP (what each answers, the same "check your mail" for every name, the token kept out of
 * Referer, cross-site posts refused) and in Chromium with axe-core, in English and in German.
 */
import type { Browser, Page } from 'playwright-core';
import type { Account } from '../../src/accounts/store';
import { ACCOUNT_PATHS } from '../../src/interactions/account/client';
import { accessibilityProblems, launchChromium, watchBrowser } from '../support/chromium';
import { TEST_PASSWORD } from '../support/fixtures';
import { passwordGrant } from '../support/tokens';
import { startWebhookReceiver, webhookDelivery, type WebhookReceiver } from '../support/receivers';
import { startTestServer, type TestServer } from '../support/server';

const NEW_PASSWORD = 'page-new-password-1';

let hook: WebhookReceiver;
let node: TestServer;
let serial = 0;

beforeAll(async () => {
  hook = await startWebhookReceiver();
  node = await startTestServer({
    env: { ...webhookDelivery(hook), RATE_LIMIT_PASSWORD_RESET: '1000/600', RATE_LIMIT_LOGIN: '1000/60' },
  });
}, 60000);

afterAll(async () => {
  await node?.stop();
  await hook?.close();
});

async function newAccount(): Promise<Account> {
  serial += 1;
  const username = `page-${serial}`;
  return node.services.accounts.create({
    username,
    password: TEST_PASSWORD,
    email: `${username}@example.com`,
  });
}

interface Answer {
  status: number;
  headers: Headers;
  html: string;
}

async function get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${node.issuer}${path}`, { headers, redirect: 'manual' });
  return { status: res.status, headers: res.headers, html: await res.text() };
}

async function post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(`${node.issuer}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'sec-fetch-site': 'same-origin',
      ...headers,
    },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  return { status: res.status, headers: res.headers, html: await res.text() };
}

const heading = (html: string) => /<h1>([^<]*)<\/h1>/.exec(html)?.[1];

/** The path and query of the link in the account's `n`th reset event. */
async function resetLink(account: Account, n = 1): Promise<string> {
  const { url } = (await hook.forUser(account.username, n)).json;
  expect(url).toMatch(`${node.issuer}${ACCOUNT_PATHS.reset}?token=`);
  return url!.slice(node.issuer.length);
}

describe('over HTTP', () => {
  it('/account/forgot: the form, then the same "check your mail" for a known and an unknown name', async () => {
    const form = await get(ACCOUNT_PATHS.forgot);
    expect(form.status).toBe(200);
    expect(form.headers.get('cache-control')).toBe('no-store');
    expect(heading(form.html)).toBe('Forgot your password?');
    expect(form.html).toContain(`action="${ACCOUNT_PATHS.forgot}"`);
    expect(form.html).toContain('name="login"');
    expect(form.html).not.toContain('<script');

    const account = await newAccount();
    const known = await post(ACCOUNT_PATHS.forgot, { login: account.username });
    const unknown = await post(ACCOUNT_PATHS.forgot, { login: 'nobody-on-this-page' });
    const byAddress = await post(ACCOUNT_PATHS.forgot, { login: account.email! });
    expect([known.status, heading(known.html)]).toEqual([200, 'Check your mail']);
    expect(unknown.html).toBe(known.html);
    expect(byAddress.html).toBe(known.html);
    // One field: the name and the address both found the account.
    await resetLink(account, 2);
    await node.links.passwordReset.settled();
    expect(hook.deliveries.filter((d) => d.raw.includes('nobody-on-this-page'))).toEqual([]);

    const empty = await post(ACCOUNT_PATHS.forgot, { login: ' ' });
    expect([empty.status, empty.html]).toEqual([
      400,
      expect.stringContaining('Enter your username or e-mail'),
    ]);
    const crossSite = await post(
      ACCOUNT_PATHS.forgot,
      { login: account.username },
      { 'sec-fetch-site': 'cross-site' },
    );
    expect(crossSite.status).toBe(403);
  });

  it('/account/reset: the form while the link is live, the new password, then "this link does not work"', async () => {
    const account = await newAccount();
    await post(ACCOUNT_PATHS.forgot, { login: account.username });
    const link = await resetLink(account);
    const token = new URL(link, node.issuer).searchParams.get('token')!;

    const form = await get(link);
    expect([form.status, heading(form.html)]).toEqual([200, 'Set a new password']);
    expect(form.headers.get('referrer-policy')).toBe('no-referrer');
    expect(form.headers.get('cache-control')).toBe('no-store');
    expect(form.html).toContain(`<input type="hidden" name="token" value="${token}">`);
    // The form posts to the bare path: the token travels in the body only.
    expect(form.html).toContain(`action="${ACCOUNT_PATHS.reset}"`);

    const mismatch = await post(ACCOUNT_PATHS.reset, {
      token,
      new_password: NEW_PASSWORD,
      repeat_password: 'something-else',
    });
    expect([mismatch.status, mismatch.html]).toEqual([400, expect.stringContaining('are not the same')]);
    const short = await post(ACCOUNT_PATHS.reset, { token, new_password: 'short', repeat_password: 'short' });
    expect([short.status, short.html]).toEqual([400, expect.stringContaining('8 to 128 characters long')]);

    const done = await post(ACCOUNT_PATHS.reset, {
      token,
      new_password: NEW_PASSWORD,
      repeat_password: NEW_PASSWORD,
    });
    expect([done.status, heading(done.html)]).toEqual([200, 'Your password is set']);
    expect(done.html).toContain(`href="${ACCOUNT_PATHS.root}"`);
    const signIn = await passwordGrant(node.issuer, {
      username: account.username,
      password: NEW_PASSWORD,
      scope: 'openid',
    });
    expect(signIn.status).toBe(200);

    for (const answer of [
      await get(link),
      await post(ACCOUNT_PATHS.reset, { token, new_password: NEW_PASSWORD, repeat_password: NEW_PASSWORD }),
      await get(`${ACCOUNT_PATHS.reset}?token=made-up`),
      await get(ACCOUNT_PATHS.reset),
    ]) {
      expect([answer.status, heading(answer.html)]).toEqual([400, 'This link does not work']);
      expect(answer.html).toContain(`href="${ACCOUNT_PATHS.forgot}"`);
    }
  });

  it('/account/verify: verifies the address; the same link again shows success; a bad one says so', async () => {
    const account = await newAccount();
    const changed = await node.services.accounts.updateProfile(account.id, {
      email: 'verify.page@example.com',
      emailVerified: false,
    });
    await node.links.emailVerification.request(changed!);
    const { url } = (await hook.forUser(account.username)).json;
    const link = url!.slice(node.issuer.length);
    expect(link).toMatch(`${ACCOUNT_PATHS.verify}?token=`);

    for (const answer of [await get(link), await get(link)]) {
      expect([answer.status, heading(answer.html)]).toEqual([200, 'E-mail address verified']);
      expect(answer.html).toContain('verify.page@example.com is verified');
      expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
    }
    expect((await node.services.accounts.findById(account.id))!.emailVerified).toBe(true);

    const bad = await get(`${ACCOUNT_PATHS.verify}?token=made-up`, { 'accept-language': 'de' });
    expect([bad.status, heading(bad.html)]).toEqual([400, 'Dieser Link funktioniert nicht']);
    expect(bad.html).toContain('<html lang="de">');
  });

  it('speaks German to Accept-Language: de', async () => {
    const form = await get(ACCOUNT_PATHS.forgot, { 'accept-language': 'de-DE,de;q=0.9' });
    expect(form.html).toContain('<html lang="de">');
    expect(heading(form.html)).toBe('Passwort vergessen?');
    const sent = await post(ACCOUNT_PATHS.forgot, { login: 'wer-auch-immer' }, { 'accept-language': 'de' });
    expect(heading(sent.html)).toBe('Sehen Sie in Ihr Postfach');
  });
});

describe('in Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  }, 60000);

  afterAll(async () => {
    await browser?.close();
  });

  async function checked(page: Page, title: string): Promise<void> {
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    expect([title, await accessibilityProblems(page)]).toEqual([title, []]);
  }

  it('from the login page\'s "Forgot your password?" to a new password, in English', async () => {
    const account = await newAccount();
    const context = await browser.newContext({ locale: 'en-US' });
    const problems = watchBrowser(context, node.issuer);
    const page = await context.newPage();
    try {
      // The account page signs in first: Gatehouse's own login page.
      await page.goto(`${node.issuer}${ACCOUNT_PATHS.mfa}`);
      await page.waitForURL(`${node.issuer}/interaction/**`);
      await page.getByRole('link', { name: 'Forgot your password?' }).click();

      await page.waitForURL(`${node.issuer}${ACCOUNT_PATHS.forgot}`);
      await checked(page, 'Forgot your password?');
      await page.getByLabel('Username or e-mail address').fill(account.username);
      await page.getByRole('button', { name: 'Send the link' }).click();
      await checked(page, 'Check your mail');

      await page.goto(`${node.issuer}${await resetLink(account)}`);
      await checked(page, 'Set a new password');
      await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel('Repeat the new password').fill('not-the-same-password');
      await page.getByRole('button', { name: 'Set the password' }).click();
      await page.getByRole('alert').filter({ hasText: 'are not the same' }).waitFor();
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
      await page.getByRole('button', { name: 'Set the password' }).click();
      await checked(page, 'Your password is set');
      expect(problems.blocked).toEqual([]);
      // The mismatch answered 400; nothing else failed.
      expect(problems.gatehouseErrors).toEqual([`400 ${ACCOUNT_PATHS.reset}`]);
    } finally {
      await context.close();
    }
  }, 60000);

  it('the pages in German: the form, an invalid link, a verified address', async () => {
    const account = await newAccount();
    const context = await browser.newContext({ locale: 'de-DE' });
    const problems = watchBrowser(context, node.issuer);
    const page = await context.newPage();
    try {
      await page.goto(`${node.issuer}${ACCOUNT_PATHS.forgot}`);
      await checked(page, 'Passwort vergessen?');
      await page.goto(`${node.issuer}${ACCOUNT_PATHS.reset}?token=abgelaufen`);
      await checked(page, 'Dieser Link funktioniert nicht');
      await page.getByRole('link', { name: 'Neuen Link anfordern' }).click();
      await checked(page, 'Passwort vergessen?');

      const changed = await node.services.accounts.updateProfile(account.id, {
        email: 'neu@example.com',
        emailVerified: false,
      });
      await node.links.emailVerification.request(changed!);
      await page.goto((await hook.forUser(account.username)).json.url!);
      await checked(page, 'E-Mail-Adresse bestätigt');
      expect(problems.blocked).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60000);
});
