/**
 * /account in a real browser (Debian's Chromium through playwright-core): opened signed out, it signs
 * a person in through Gatehouse's own login page and comes back to the overview, in English and in
 * German (the browser's language). Each page passes axe-core with no serious or critical violation,
 * the CSP blocks nothing and Gatehouse answers no error; the profile form is submitted by clicking.
 * The overview's screenshot lands in test-output/ (and in docs/images/ with UPDATE_README_IMAGES=1).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { accessibilityProblems, launchChromium, watchBrowser } from '../support/chromium';
import { TEST_PASSWORD } from '../support/fixtures';
import { startTestServer, type TestServer } from '../support/server';

const ROOT = path.resolve(__dirname, '..', '..');
const OUTPUT = path.join(ROOT, 'test-output');
const README_IMAGE = path.join(ROOT, 'docs', 'images', 'account.png');

let node: TestServer;
let browser: Browser;

beforeAll(async () => {
  fs.mkdirSync(OUTPUT, { recursive: true });
  node = await startTestServer();
  browser = await launchChromium();
}, 60000);

afterAll(async () => {
  await browser?.close();
  await node?.stop();
});

const LANGUAGES = {
  en: {
    locale: 'en-US',
    username: 'Username',
    password: 'Password',
    signIn: 'Sign in',
    title: 'Your account · Gatehouse',
    givenName: 'Given name',
    save: 'Save',
    saved: 'Your profile was saved.',
  },
  de: {
    locale: 'de-DE',
    username: 'Benutzername',
    password: 'Passwort',
    signIn: 'Anmelden',
    title: 'Ihr Konto · Gatehouse',
    givenName: 'Vorname',
    save: 'Speichern',
    saved: 'Ihre persönlichen Daten wurden gespeichert.',
  },
} as const;

it.each(Object.keys(LANGUAGES) as (keyof typeof LANGUAGES)[])(
  'signs a person in to /account and saves the profile by clicking (%s)',
  async (language) => {
    const words = LANGUAGES[language];
    const account = await node.services.accounts.create({
      username: `browser-${language}`,
      password: TEST_PASSWORD,
      givenName: 'Ada',
      familyName: 'Lovelace',
      email: `browser-${language}@example.com`,
      emailVerified: true,
    });
    const context = await browser.newContext({
      viewport: { width: 800, height: 1000 },
      locale: words.locale,
    });
    const problems = watchBrowser(context, node.issuer);
    const page = await context.newPage();
    try {
      await page.goto(`${node.issuer}/account`);
      await page.waitForURL(`${node.issuer}/interaction/**`);
      await page.getByLabel(words.username).fill(account.username);
      await page.getByLabel(words.password, { exact: true }).fill(TEST_PASSWORD);
      await page.getByRole('button', { name: words.signIn, exact: true }).click();

      await page.waitForURL(`${node.issuer}/account`);
      await expect(page.title()).resolves.toBe(words.title);
      await expect(page.locator('html').getAttribute('lang')).resolves.toBe(language);
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.screenshot({ path: path.join(OUTPUT, `account-${language}.png`), fullPage: true });
      // The README's picture is a copy, refreshed by hand, so a test run never changes the checkout.
      if (language === 'en' && process.env.UPDATE_README_IMAGES === '1')
        fs.copyFileSync(path.join(OUTPUT, 'account-en.png'), README_IMAGE);

      await page.getByLabel(words.givenName).fill('Grace');
      await page.getByRole('button', { name: words.save, exact: true }).click();
      await page.waitForURL(`${node.issuer}/account?done=profile-saved`);
      await page.getByText(words.saved).waitFor();
      await expect(page.getByLabel(words.givenName).inputValue()).resolves.toBe('Grace');
      expect(await accessibilityProblems(page)).toEqual([]);

      expect(problems).toEqual({ blocked: [], gatehouseErrors: [] });
      await expect(node.services.accounts.findById(account.id)).resolves.toMatchObject({
        givenName: 'Grace',
      });
    } finally {
      await context.close();
    }
  },
  60000,
);

it('shows a refused password change beside its fields, without axe-core problems', async () => {
  const account = await node.services.accounts.create({
    username: 'browser-refused',
    password: TEST_PASSWORD,
  });
  const context = await browser.newContext({ viewport: { width: 800, height: 1000 }, locale: 'en-US' });
  const page = await context.newPage();
  try {
    await page.goto(`${node.issuer}/account`);
    await page.getByLabel('Username').fill(account.username);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${node.issuer}/account`);
    await page.getByLabel('Current password').fill('not the password');
    await page.getByLabel('New password', { exact: true }).fill('a new password 1');
    await page.getByLabel('Repeat the new password').fill('a new password 1');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('That is not your current password.').waitFor();
    await expect(page.getByLabel('Current password').getAttribute('aria-invalid')).resolves.toBe('true');
    expect(await accessibilityProblems(page)).toEqual([]);
  } finally {
    await context.close();
  }
}, 60000);
