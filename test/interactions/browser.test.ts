/**
 * A real browser (Debian's Chromium through playwright-core) signs alice in through the real pages:
 * the example relying party (examples/rp.mjs) sends it to Gatehouse, it types on the login page with
 * the keyboard, allows on the consent page, comes back to the relying party's callback with a code
 * that the relying party redeems, then signs out through RP-initiated logout. Each page passes axe-core
 * with no serious or critical violation, the CSP blocks nothing, and screenshots of the login,
 * consent and logout pages land in test-output/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { accessibilityProblems, launchChromium, watchBrowser } from '../support/chromium';
import { ALICE } from '../support/fixtures';
import { freePort, startTestServer, type TestServer } from '../support/server';

const OUTPUT = path.resolve(__dirname, '..', '..', 'test-output');
const ROOT = path.resolve(__dirname, '..', '..');

let node: TestServer;
let rp: ChildProcess;
let rpUrl: string;
let browser: Browser;

async function startRelyingParty(issuer: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'examples', 'rp.mjs')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      ISSUER: issuer,
      CLIENT_ID: 'browser-rp',
      CLIENT_SECRET: 'browser-rp-secret',
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relying party did not start:\n${output}`)), 20000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('open it in a browser')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`relying party exited with ${code}:\n${output}`));
    });
  });
  return child;
}

beforeAll(async () => {
  fs.mkdirSync(OUTPUT, { recursive: true });
  node = await startTestServer();
  const port = await freePort();
  rpUrl = `http://localhost:${port}`;
  await node.services.clients.save({
    client_id: 'browser-rp',
    client_name: 'Example Relying Party',
    client_secret: 'browser-rp-secret',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [`${rpUrl}/callback`],
    post_logout_redirect_uris: [`${rpUrl}/`],
    scope: 'openid profile email roles offline_access',
    policy_uri: 'https://example.com/privacy',
  });
  rp = await startRelyingParty(node.issuer, port);
  browser = await launchChromium();
}, 60000);

afterAll(async () => {
  await browser?.close();
  rp?.kill();
  await node?.stop();
});

it('signs alice in through the login and consent pages and back to the relying party, then signs out', async () => {
  const context = await browser.newContext({ viewport: { width: 1024, height: 860 }, locale: 'en-US' });
  const problems = watchBrowser(context, node.issuer);
  const page = await context.newPage();
  try {
    await page.goto(rpUrl);
    await page.getByRole('link', { name: 'Sign in with Gatehouse' }).click();

    // Login page: reached through Gatehouse's /auth, username focused, keyboard only.
    await page.waitForURL(`${node.issuer}/interaction/**`);
    await expect(page.title()).resolves.toBe('Sign in · Gatehouse');
    await expect(page.evaluate('document.activeElement.id')).resolves.toBe('username');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(OUTPUT, 'login.png'), fullPage: true });

    // A wrong password first: the error is shown inline and the username kept.
    await page.keyboard.type('alice');
    await page.keyboard.press('Tab');
    await page.keyboard.type('wrong-password');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').waitFor();
    await expect(page.getByRole('alert').textContent()).resolves.toBe(
      'The username or password is incorrect.',
    );
    await expect(page.getByLabel('Username').inputValue()).resolves.toBe('alice');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(OUTPUT, 'login-error.png'), fullPage: true });

    await page.getByLabel('Password').fill(ALICE.password);
    await page.keyboard.press('Enter');

    // Consent page.
    await page.getByRole('heading', { name: 'Allow Example Relying Party to use your account?' }).waitFor();
    await expect(page.locator('.permission-title').allTextContents()).resolves.toEqual([
      'Know who you are',
      'Your profile',
      'Your email address',
      'Your roles',
    ]);
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(OUTPUT, 'consent.png'), fullPage: true });
    await page.getByRole('button', { name: 'Allow' }).click();

    // Back at the relying party, which redeemed the code.
    await page.waitForURL(`${rpUrl}/`);
    await page.getByRole('heading', { name: 'Signed in as alice' }).waitFor();
    const claims = JSON.parse((await page.locator('#claims').textContent())!) as Record<string, unknown>;
    expect(claims).toMatchObject({
      iss: node.issuer,
      aud: 'browser-rp',
      sub: '6f1f4b5e-7d51-4d8a-9a0e-1d0c6a1f0002',
    });

    // RP-initiated logout: Gatehouse's confirmation page, then back to the relying party.
    await page.getByRole('link', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign out?' }).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(OUTPUT, 'logout.png'), fullPage: true });
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(new RegExp(`^${rpUrl}/\\?state=`));
    await page.getByText('You are not signed in to this application.').waitFor();
    expect(problems.blocked).toEqual([]);
    // Only the wrong password got an error status.
    expect(problems.gatehouseErrors).toEqual([expect.stringMatching(/^401 \/interaction\/[\w-]+\/login$/)]);
  } finally {
    await context.close();
  }
});

it('fits a phone screen, in German', async () => {
  const context = await browser.newContext({
    viewport: { width: 375, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'de-DE',
  });
  const problems = watchBrowser(context, node.issuer);
  // The consent alice gave in the test before is remembered: taken back, so that she is asked again.
  await node.services.consents.revoke(ALICE.id, 'browser-rp');
  const page = await context.newPage();
  try {
    await page.goto(`${rpUrl}/login`);
    await page.waitForURL(`${node.issuer}/interaction/**`);
    await page.getByRole('heading', { name: 'Anmelden' }).waitFor();
    const overflow = (await page.evaluate(
      'document.documentElement.scrollWidth - window.innerWidth',
    )) as number;
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(OUTPUT, 'login-phone-de.png'), fullPage: true });
    await page.getByLabel('Benutzername').fill('alice');
    await page.getByLabel('Passwort').fill(ALICE.password);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.getByRole('button', { name: 'Ablehnen' }).waitFor();
    await page.screenshot({ path: path.join(OUTPUT, 'consent-phone-de.png'), fullPage: true });
    await page.getByRole('button', { name: 'Ablehnen' }).click();
    // Deny: the relying party receives access_denied.
    await page.waitForURL(`${rpUrl}/callback?**`);
    await expect(page.locator('#error').textContent()).resolves.toBe('access_denied');
    expect(problems).toEqual({ blocked: [], gatehouseErrors: [] });
  } finally {
    await context.close();
  }
});
