/**
 * The sign-up and invitation pages in a real browser (Debian's Chromium through playwright-core), in
 * English and German: the login page's link to the form, the form with its field errors, "check
 * your mail", the link opening "your account is ready", and the invitation's form. Every page passes
 * axe-core with no serious or critical violation, and the CSP blocks nothing; screenshots land in
 * test-output/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { accessibilityProblems, launchChromium, watchBrowser } from '../support/chromium';
import { ADMIN } from '../support/fixtures';
import { startWebhookReceiver, webhookDelivery, type WebhookReceiver } from '../support/receivers';
import { startTestServer, type TestServer } from '../support/server';
import { eventually } from '../support/wait';

const OUTPUT = path.resolve(__dirname, '..', '..', 'test-output');

let hook: WebhookReceiver;
let node: TestServer;
let browser: Browser;

beforeAll(async () => {
  fs.mkdirSync(OUTPUT, { recursive: true });
  hook = await startWebhookReceiver();
  node = await startTestServer({
    env: { REGISTRATION: 'open', RATE_LIMIT_REGISTRATION: '1000/3600', ...webhookDelivery(hook) },
  });
  browser = await launchChromium();
}, 60000);

afterAll(async () => {
  await browser?.close();
  await node?.stop();
  await hook?.close();
});

async function checked(page: Page, name: string): Promise<void> {
  expect(await accessibilityProblems(page)).toEqual([]);
  await page.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage: true });
}

const WORDS = {
  en: {
    loginLink: 'No account yet? Create one',
    title: 'Create an account',
    username: 'Username',
    email: 'E-mail address',
    password: 'Password',
    submit: 'Create account',
    fix: 'Please correct the marked fields.',
    sent: 'Check your mail',
    done: 'Your account is ready',
    invitation: 'Accept your invitation',
  },
  de: {
    loginLink: 'Noch kein Konto? Jetzt erstellen',
    title: 'Konto erstellen',
    username: 'Benutzername',
    email: 'E-Mail-Adresse',
    password: 'Passwort',
    submit: 'Konto erstellen',
    fix: 'Bitte korrigieren Sie die markierten Felder.',
    sent: 'Sehen Sie in Ihr Postfach',
    done: 'Ihr Konto ist bereit',
    invitation: 'Einladung annehmen',
  },
} as const;

describe.each(['en', 'de'] as const)('in %s', (lang) => {
  const words = WORDS[lang];

  it('signs up from the login page through the link in the mail', async () => {
    const context = await browser.newContext({ viewport: { width: 800, height: 1000 }, locale: lang });
    const problems = watchBrowser(context, node.issuer);
    const page = await context.newPage();
    const username = `signup-${lang}`;
    try {
      // The login page of Gatehouse's own account client, with the link.
      await page.goto(`${node.issuer}/account/mfa`);
      await page.waitForURL(`${node.issuer}/interaction/**`);
      await page.getByRole('link', { name: words.loginLink }).click();
      await page.waitForURL(`${node.issuer}/account/register`);
      await page.getByRole('heading', { name: words.title }).waitFor();
      await checked(page, `register-${lang}`);

      // Field errors, beside their fields.
      await page.getByLabel(words.username).fill('-bad');
      await page.getByLabel(words.email).fill('not-an-address');
      await page.getByLabel(words.password, { exact: true }).fill('short');
      await page.getByRole('button', { name: words.submit }).click();
      await page.getByText(words.fix).waitFor();
      await expect(page.locator('[aria-invalid="true"]').count()).resolves.toBe(3);
      await checked(page, `register-errors-${lang}`);

      await page.getByLabel(words.username).fill(username);
      await page.getByLabel(words.email).fill(`${username}@example.com`);
      await page.getByLabel(words.password, { exact: true }).fill('signup-secret-1');
      await page.getByRole('button', { name: words.submit }).click();
      await page.getByRole('heading', { name: words.sent }).waitFor();
      await checked(page, `register-sent-${lang}`);

      const event = await hook.forUser(username);
      await page.goto(event.json.url!);
      await page.getByRole('heading', { name: words.done }).waitFor();
      await checked(page, `register-done-${lang}`);
      expect(problems).toEqual({ blocked: [], gatehouseErrors: ['400 /account/register'] });
    } finally {
      await context.close();
    }
  });

  it("shows an invitation's form", async () => {
    const email = `invited-${lang}@example.com`;
    await node.links.registration.invite({ email, roles: [] });
    const event = await eventually(() => hook.deliveries.find((d) => d.json.email === email));
    const context = await browser.newContext({ viewport: { width: 800, height: 900 }, locale: lang });
    const problems = watchBrowser(context, node.issuer);
    const page = await context.newPage();
    try {
      await page.goto(event.json.url!);
      await page.getByRole('heading', { name: words.invitation }).waitFor();
      await page.getByText(email).waitFor();
      await checked(page, `invitation-${lang}`);
      // A taken name comes back on the form.
      await page.getByLabel(words.username).fill(ADMIN.username);
      await page.getByLabel(words.password, { exact: true }).fill('invited-secret-1');
      await page.getByRole('button', { name: words.submit }).click();
      await page.getByText(words.fix).waitFor();
      await checked(page, `invitation-taken-${lang}`);
      await page.getByLabel(words.username).fill(`invited-${lang}`);
      await page.getByLabel(words.password, { exact: true }).fill('invited-secret-1');
      await page.getByRole('button', { name: words.submit }).click();
      await page.getByRole('heading', { name: words.done }).waitFor();
      expect(problems).toEqual({ blocked: [], gatehouseErrors: ['409 /account/invitation'] });
    } finally {
      await context.close();
    }
  });
});
