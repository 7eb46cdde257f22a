/**
 * The device flow's pages in a real browser (Debian's Chromium through playwright-core): the code
 * entry (and its wrong-code answer), the confirmation, the login and consent between, and the success
 * page. Each of the device pages passes axe-core with no serious or critical violation, the CSP blocks
 * nothing, and the device's poll then gets its tokens. Screenshots land in test-output/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { accessibilityProblems, launchChromium, watchBrowser } from '../support/chromium';
import { ALICE, DEMO_DEVICE } from '../support/fixtures';
import { discover, oidc } from '../support/rp';
import { startTestServer, type TestServer } from '../support/server';

const OUTPUT = path.resolve(__dirname, '..', '..', 'test-output');

let node: TestServer;
let browser: Browser;

beforeAll(async () => {
  fs.mkdirSync(OUTPUT, { recursive: true });
  node = await startTestServer({ env: { RATE_LIMIT_DEVICE_CODE: '1000/60' } });
  browser = await launchChromium();
}, 60000);

afterAll(async () => {
  await browser?.close();
  await node?.stop();
});

async function checked(page: Page, name: string): Promise<void> {
  expect(await accessibilityProblems(page)).toEqual([]);
  await page.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage: true });
}

it('signs a device in through the entry, confirmation and success pages', async () => {
  const device = await discover(node.issuer, DEMO_DEVICE.id);
  const started = await oidc.initiateDeviceAuthorization(device, { scope: 'openid profile' });
  const context = await browser.newContext({ viewport: { width: 800, height: 900 }, locale: 'en' });
  const problems = watchBrowser(context, node.issuer);
  const page = await context.newPage();
  try {
    await page.goto(started.verification_uri);
    await page.getByRole('heading', { name: 'Connect a device' }).waitFor();
    await checked(page, 'device-code');

    await page.getByLabel('Code').fill('bcdf-ghjk');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').getByText('That code is not right.').waitFor();
    await expect(page.getByLabel('Code').getAttribute('aria-invalid')).resolves.toBe('true');
    await checked(page, 'device-code-wrong');

    await page.getByLabel('Code').fill(started.user_code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Sign in to Demo Device on your device?' }).waitFor();
    await page.getByText(started.user_code, { exact: true }).waitFor();
    await checked(page, 'device-confirm');

    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${node.issuer}/interaction/**`);
    await page.getByLabel('Username').fill(ALICE.username);
    await page.getByLabel('Password').fill(ALICE.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Your device is signed in' }).waitFor();
    await checked(page, 'device-success');

    expect(problems).toEqual({ blocked: [], gatehouseErrors: [] });
    const tokens = await oidc.pollDeviceAuthorizationGrant(device, started);
    expect(tokens.claims()).toMatchObject({ sub: ALICE.id, aud: DEMO_DEVICE.id });
  } finally {
    await context.close();
  }
}, 60000);

it('opens the confirmation straight from verification_uri_complete', async () => {
  const device = await discover(node.issuer, DEMO_DEVICE.id);
  const started = await oidc.initiateDeviceAuthorization(device, { scope: 'openid' });
  const context = await browser.newContext({ locale: 'de' });
  const problems = watchBrowser(context, node.issuer);
  const page = await context.newPage();
  try {
    // The library posts the code on with its form_post page, whose script the CSP allows by hash.
    await page.goto(started.verification_uri_complete!);
    await page.getByRole('heading', { name: 'Auf Ihrem Gerät bei Demo Device anmelden?' }).waitFor();
    await page.getByText(started.user_code, { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Abbrechen' }).click();
    await page.getByText('Das Gerät wurde nicht angemeldet.').waitFor();
    expect(problems).toEqual({ blocked: [], gatehouseErrors: [] });
  } finally {
    await context.close();
  }
}, 60000);
