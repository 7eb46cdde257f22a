/**
 * A real browser (Debian's Chromium through playwright-core) through the second step of the sign-in:
 * the second-factor page (a wrong code first, then the right one, typed with the keyboard) and the
 * enrollment inside the login (the QR code, the secret read off the page, the recovery codes). Each
 * page passes axe-core with no serious or critical violation, the CSP blocks nothing (the QR code is a
 * data: image), and screenshots land in test-output/. The relying party is a client of the test's
 * own: a local HTTP server answers its callback and openid-client redeems the code.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { generate } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Account } from '../../src/accounts/store';
import { authorizationRequest } from '../support/browser';
import { accessibilityProblems, launchChromium, watchBrowser } from '../support/chromium';
import { discover, oidc } from '../support/rp';
import { freePort, startTestServer, type TestServer } from '../support/server';

const OUTPUT = path.resolve(__dirname, '..', '..', 'test-output');
const MFA = 'urn:gatehouse:acr:mfa';

let node: TestServer;
let web: oidc.Configuration;
let callbackServer: http.Server;
let redirectUri: string;
let browser: Browser;

beforeAll(async () => {
  fs.mkdirSync(OUTPUT, { recursive: true });
  node = await startTestServer();
  const port = await freePort();
  redirectUri = `http://localhost:${port}/callback`;
  callbackServer = http.createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'),
  );
  await new Promise<void>((resolve) => callbackServer.listen(port, '127.0.0.1', resolve));
  await node.services.clients.save({
    client_id: 'mfa-browser-rp',
    client_name: 'Example Relying Party',
    client_secret: 'mfa-browser-rp-secret',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [redirectUri],
    scope: 'openid profile',
  });
  web = await discover(node.issuer, 'mfa-browser-rp', 'mfa-browser-rp-secret');
  browser = await launchChromium();
}, 60000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => callbackServer?.close(resolve));
  await node?.stop();
});

function newContext(): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1024, height: 900 }, locale: 'en-US' });
}

async function newAccount(username: string): Promise<Account> {
  await node.services.accounts.create({ username, password: `${username}-password` });
  return (await node.services.accounts.findByUsername(username))!;
}

/** Opens an authorization request and types the password on the login page with the keyboard. */
async function signInWithPassword(page: Page, account: Account, params: Record<string, string> = {}) {
  const request = await authorizationRequest(web, {
    redirect_uri: redirectUri,
    scope: 'openid profile',
    ...params,
  });
  await page.goto(request.url);
  await page.waitForURL(`${node.issuer}/interaction/**`);
  await page.keyboard.type(account.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(`${account.username}-password`);
  await page.keyboard.press('Enter');
  return request;
}

/** Allows on the consent page, then redeems the code the callback got: the ID token's claims. */
async function allowAndRedeem(page: Page, request: { verifier: string; state: string; nonce: string }) {
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL(`${redirectUri}?**`);
  const tokens = await oidc.authorizationCodeGrant(web, new URL(page.url()), {
    pkceCodeVerifier: request.verifier,
    expectedState: request.state,
    expectedNonce: request.nonce,
    idTokenExpected: true,
  });
  return tokens.claims()!;
}

it('asks for the code after the password, refuses a wrong one, signs in with the right one', async () => {
  const account = await newAccount('chromium-otp');
  const enrollment = await node.services.mfa.startTotp(account);
  const secret = enrollment!.secret;
  await node.services.mfa.confirmTotp(account.id, await generate({ secret }));

  const context = await newContext();
  const problems = watchBrowser(context, node.issuer, { failureReason: true });
  const page = await context.newPage();
  try {
    const request = await signInWithPassword(page, account);

    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await expect(page.title()).resolves.toBe('Two-step verification · Gatehouse');
    await expect(page.evaluate('document.activeElement.id')).resolves.toBe('otp');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(OUTPUT, 'second-factor.png'), fullPage: true });

    await page.keyboard.type('000000');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').waitFor();
    await expect(page.getByRole('alert').textContent()).resolves.toBe(
      'This code is not correct. Check your app and try again.',
    );
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(OUTPUT, 'second-factor-error.png'), fullPage: true });

    // The next step's code: the enrollment took the current one.
    await page.getByLabel('Verification code').fill('');
    await page.getByLabel('Verification code').focus();
    await page.keyboard.type(await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }));
    await page.keyboard.press('Enter');

    const claims = await allowAndRedeem(page, request);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.acr).toBe(MFA);
    expect(problems.blocked).toEqual([]);
    expect(problems.gatehouseErrors).toEqual([expect.stringMatching(/^401 \/interaction\/[\w-]+\/mfa$/)]);
  } finally {
    await context.close();
  }
});

it('takes an account without a factor through enrollment when the relying party asks for two', async () => {
  const account = await newAccount('chromium-enroll');
  const context = await newContext();
  const problems = watchBrowser(context, node.issuer, { failureReason: true });
  const page = await context.newPage();
  try {
    const request = await signInWithPassword(page, account, { acr_values: MFA });

    await page.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    // The QR code is a data: image: decoded, so the CSP (img-src 'self' data:) allowed it.
    await expect(
      page.evaluate(
        "(() => { const img = document.querySelector('img.totp-qr'); return img.complete && img.naturalWidth; })()",
      ),
    ).resolves.toBeGreaterThan(0);
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(OUTPUT, 'enroll.png'), fullPage: true });

    const shown = (await page.locator('.totp-secret').textContent())!;
    expect(shown).toMatch(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/);
    await page.getByLabel('Code from the app').focus();
    await page.keyboard.type(await generate({ secret: shown.replace(/ /g, '') }));
    await page.keyboard.press('Enter');

    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    await expect(page.getByRole('list', { name: 'Recovery codes' }).locator('li').count()).resolves.toBe(10);
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(OUTPUT, 'recovery-codes.png'), fullPage: true });
    await page.keyboard.press('Enter');

    const claims = await allowAndRedeem(page, request);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.acr).toBe(MFA);
    expect(problems).toEqual({ blocked: [], gatehouseErrors: [] });
  } finally {
    await context.close();
  }
});
