/**
 * /account/mfa in a real browser (Debian's Chromium through playwright-core): opened signed out, it
 * signs alice in through Gatehouse's own login page (the client gatehouse-account), sets up an
 * authenticator app with a code computed by otplib from the secret on the page, and shows the
 * recovery codes. Every page passes axe-core with no serious or critical violation and the CSP blocks
 * nothing; the QR page's screenshot lands in test-output/ (and in docs/images/ with UPDATE_README_IMAGES=1).
 */
import fs from 'node:fs';
import path from 'node:path';
import { generate } from 'otplib';
import type { Browser } from 'playwright-core';
import { accessibilityProblems, launchChromium, watchBrowser } from '../support/chromium';
import { ALICE } from '../support/fixtures';
import { startTestServer, type TestServer } from '../support/server';

const ROOT = path.resolve(__dirname, '..', '..');
const OUTPUT = path.join(ROOT, 'test-output');
const README_IMAGE = path.join(ROOT, 'docs', 'images', 'account-mfa.png');

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

it('signs alice in through Gatehouse and sets up an authenticator app', async () => {
  const context = await browser.newContext({ viewport: { width: 800, height: 1000 }, locale: 'en-US' });
  const problems = watchBrowser(context, node.issuer);
  const page = await context.newPage();
  try {
    await page.goto(`${node.issuer}/account/mfa`);
    // The provider's login page, for the client gatehouse-account.
    await page.waitForURL(`${node.issuer}/interaction/**`);
    await page.getByText('to continue to Gatehouse account').waitFor();
    await page.getByLabel('Username').fill(ALICE.username);
    await page.getByLabel('Password').fill(ALICE.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    // Back on the page, signed in.
    await page.waitForURL(`${node.issuer}/account/mfa`);
    await expect(page.title()).resolves.toBe('Second factors · Gatehouse');
    await page.getByText(`Signed in as ${ALICE.username}.`).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(OUTPUT, 'account-mfa.png'), fullPage: true });

    // The setup: the QR code (an image that loaded), the secret in text, the code field.
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await page.getByRole('heading', { name: 'Set up an authenticator app' }).waitFor();
    await page.locator('img.totp-qr').waitFor();
    const qrLoaded =
      "(() => { const img = document.querySelector('img.totp-qr'); return img.complete && img.naturalWidth > 0; })()";
    await expect(page.evaluate(qrLoaded)).resolves.toBe(true);
    const secret = (await page.locator('.totp-secret').textContent())!.replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    expect(await accessibilityProblems(page)).toEqual([]);
    const qrShot = path.join(OUTPUT, 'account-mfa-setup.png');
    await page.screenshot({ path: qrShot, fullPage: true });
    // The README's picture (docs/images/account-mfa.png) is a copy of this one, refreshed by hand
    // (UPDATE_README_IMAGES=1) so that a test run never changes the checkout.
    if (process.env.UPDATE_README_IMAGES === '1') fs.copyFileSync(qrShot, README_IMAGE);

    await page.getByLabel('Code from the app').fill(await generate({ secret }));
    await page.getByRole('button', { name: 'Turn on the authenticator app' }).click();

    // The recovery codes, once.
    await page.getByRole('heading', { name: 'Your authenticator app is set up' }).waitFor();
    await expect(page.locator('.recovery-codes code').count()).resolves.toBe(10);
    await page.getByText('Active', { exact: true }).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(OUTPUT, 'account-mfa-recovery-codes.png'), fullPage: true });

    expect(problems).toEqual({ blocked: [], gatehouseErrors: [] });
    await expect(node.services.mfa.summary(ALICE.id)).resolves.toMatchObject({
      totp: { status: 'active' },
      recoveryCodesRemaining: 10,
    });
  } finally {
    await context.close();
  }
}, 60000);
