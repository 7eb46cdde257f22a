/**
 * /admin in a real browser (Debian's Chromium through playwright-core): an admin opens the console
 * signed out, signs in on Gatehouse's own login page and lands on the dashboard, in English and in
 * German; the dashboard and the signed-out page pass axe-core with no serious or critical
 * violation, the CSP blocks nothing and Gatehouse answers no error; sign-out is a click. The
 * dashboard's screenshot lands in test-output/ (and in docs/images/ with UPDATE_README_IMAGES=1).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { accessibilityProblems, launchChromium, watchBrowser } from '../support/chromium';
import { ADMIN } from '../support/fixtures';
import { startTestServer, type TestServer } from '../support/server';

const ROOT = path.resolve(__dirname, '..', '..');
const OUTPUT = path.join(ROOT, 'test-output');
const README_IMAGE = path.join(ROOT, 'docs', 'images', 'admin-console.png');

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
    title: 'Admin console · Gatehouse',
    accounts: 'Accounts',
    signOut: 'Sign out of the console',
    signedOut: 'Signed out of the console',
    users: 'Users',
    search: 'Username starts with',
    searchSubmit: 'Search',
    active: 'Active',
  },
  de: {
    locale: 'de-DE',
    username: 'Benutzername',
    password: 'Passwort',
    signIn: 'Anmelden',
    title: 'Verwaltungskonsole · Gatehouse',
    accounts: 'Konten',
    signOut: 'Von der Konsole abmelden',
    signedOut: 'Von der Konsole abgemeldet',
    users: 'Benutzer',
    search: 'Benutzername beginnt mit',
    searchSubmit: 'Suchen',
    active: 'Aktiv',
  },
} as const;

it.each(Object.keys(LANGUAGES) as (keyof typeof LANGUAGES)[])(
  'signs an admin in to /admin, shows the dashboard and signs out by clicking (%s)',
  async (language) => {
    const words = LANGUAGES[language];
    const context = await browser.newContext({ viewport: { width: 900, height: 900 }, locale: words.locale });
    const problems = watchBrowser(context, node.issuer);
    const page = await context.newPage();
    try {
      await page.goto(`${node.issuer}/admin`);
      await page.waitForURL(`${node.issuer}/interaction/**`);
      await page.getByLabel(words.username).fill(ADMIN.username);
      await page.getByLabel(words.password, { exact: true }).fill(ADMIN.password);
      await page.getByRole('button', { name: words.signIn, exact: true }).click();
      await page.waitForURL(`${node.issuer}/admin`);
      await expect(page.title()).resolves.toBe(words.title);
      await expect(page.locator('html').getAttribute('lang')).resolves.toBe(language);
      const accounts = String(await node.services.accounts.count());
      await expect(
        page.locator('.console-figure', { hasText: words.accounts }).locator('dd').textContent(),
      ).resolves.toBe(accounts);
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.screenshot({ path: path.join(OUTPUT, `admin-console-${language}.png`), fullPage: true });
      // The README's picture is a copy, refreshed by hand, so a test run never changes the checkout.
      if (language === 'en' && process.env.UPDATE_README_IMAGES === '1')
        fs.copyFileSync(path.join(OUTPUT, 'admin-console-en.png'), README_IMAGE);

      // The users: searched, one opened; each page as clean for axe-core as the dashboard.
      await page.getByRole('link', { name: words.users, exact: true }).click();
      await page.waitForURL(`${node.issuer}/admin/users`);
      await page.getByLabel(words.search).fill('ali');
      await page.getByRole('button', { name: words.searchSubmit, exact: true }).click();
      await page.waitForURL(`${node.issuer}/admin/users?q=ali`);
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.screenshot({ path: path.join(OUTPUT, `admin-users-${language}.png`), fullPage: true });
      await page.getByRole('link', { name: 'alice', exact: true }).click();
      await page.getByRole('heading', { name: 'alice' }).waitFor();
      await expect(page.locator('.console-details').textContent()).resolves.toContain(words.active);
      expect(await accessibilityProblems(page)).toEqual([]);

      await page.getByRole('button', { name: words.signOut, exact: true }).click();
      await page.getByRole('heading', { name: words.signedOut }).waitFor();
      expect(await accessibilityProblems(page)).toEqual([]);
      expect(problems).toEqual({ blocked: [], gatehouseErrors: [] });
    } finally {
      await context.close();
    }
  },
  60000,
);
