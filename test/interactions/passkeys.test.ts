/**
 * Passkeys in a real browser: Debian's Chromium with a virtual authenticator (DevTools protocol
 * `WebAuthn.addVirtualAuthenticator`, CTAP2, platform, resident keys, user verification), driven
 * through playwright-core. Alice registers a passkey on /account/mfa (signed in there with her
 * password through the page's own sign-in), then, in fresh browser contexts holding the same
 * credential, signs in to a relying party with the passkey alone and with it as the second factor
 * after her password; the ID tokens say how (RFC 8176 amr), the signature counter rises, a replayed
 * assertion and a disabled account are refused in the page, a browser without WebAuthn sees no
 * passkey button, and every page passes axe-core.
 *
 * WebAuthn refuses IP addresses as RP IDs (§5.1.3 step 8 asks for a valid domain), so the node's
 * issuer is http://localhost:<port> (localhost is a secure context), which Chromium resolves to
 * 127.0.0.1 by a host resolver rule.
 */
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { authorizationRequest } from '../support/browser';
import { accessibilityProblems, launchChromium, watchBrowser } from '../support/chromium';
import { ALICE } from '../support/fixtures';
import { discover, oidc } from '../support/rp';
import { freePort, startTestServer, type TestServer } from '../support/server';

const CLIENT_ID = 'passkey-rp';
const CLIENT_SECRET = 'passkey-rp-secret';

let node: TestServer;
let browser: Browser;
let rp: oidc.Configuration;
let redirectUri: string;
let aliceId: string;
/** The passkey alice registered, as the virtual authenticator holds it (WebAuthn.getCredentials). */
let credential: Record<string, unknown>;
/** The same passkey as copied before it was used: a clone with a signature counter left behind. */
let stale: Record<string, unknown>;

beforeAll(async () => {
  const port = await freePort();
  node = await startTestServer({ port, env: { ISSUER: `http://localhost:${port}` } });
  // Nothing listens there: the browser's request for the callback is answered by the test.
  redirectUri = `http://localhost:${await freePort()}/callback`;
  await node.services.clients.save({
    client_id: CLIENT_ID,
    client_name: 'Passkey Relying Party',
    client_secret: CLIENT_SECRET,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [redirectUri],
    scope: 'openid profile',
  });
  rp = await discover(node.issuer, CLIENT_ID, CLIENT_SECRET);
  aliceId = (await node.services.accounts.findByUsername(ALICE.username))!.id;
  browser = await launchChromium(['--host-resolver-rules=MAP localhost 127.0.0.1']);
}, 60000);

afterAll(async () => {
  await browser?.close();
  await node?.stop();
});

interface Session {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
  /** CSP refusals and failed loads seen in the browser. */
  blocked: string[];
}

/** A fresh browser context whose page has a virtual authenticator, holding `held` when given. */
async function openSession(held?: Record<string, unknown>): Promise<Session> {
  const context = await browser.newContext({ viewport: { width: 1024, height: 900 }, locale: 'en-US' });
  const { blocked } = watchBrowser(context, node.issuer, { failedLoads: 'issuer' });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  if (held) await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: held as never });
  return { context, page, cdp, authenticatorId, blocked };
}

/** The credentials the session's authenticator holds. */
async function heldCredentials(session: Session): Promise<Record<string, unknown>[]> {
  const { credentials } = await session.cdp.send('WebAuthn.getCredentials', {
    authenticatorId: session.authenticatorId,
  });
  return credentials as unknown as Record<string, unknown>[];
}

async function storedPasskeys() {
  return node.services
    .db('webauthn_credentials')
    .where('account_id', aliceId)
    .select('id', 'name', 'counter', 'device_type', 'transports', 'last_used_at');
}

/** Starts the relying party's authorization request in the page; resolves with its callback URL. */
async function startAuthorization(
  page: Page,
  params: Record<string, string> = {},
): Promise<{ callback: Promise<URL>; request: Awaited<ReturnType<typeof authorizationRequest>> }> {
  const request = await authorizationRequest(rp, { redirect_uri: redirectUri, scope: 'openid', ...params });
  const callback = new Promise<URL>((resolve) => {
    void page.route(`${redirectUri}**`, async (route) => {
      resolve(new URL(route.request().url()));
      await route.fulfill({ status: 200, contentType: 'text/plain', body: 'back at the relying party' });
    });
  });
  await page.goto(request.url);
  await page.waitForURL(`${node.issuer}/interaction/**`);
  return { callback, request };
}

/** Allows on the consent page when one is shown, then waits for the callback; redeems the code. */
async function finishAtRelyingParty(
  page: Page,
  started: Awaited<ReturnType<typeof startAuthorization>>,
): Promise<Record<string, unknown>> {
  const allow = page.getByRole('button', { name: 'Allow' });
  const first = await Promise.race([
    started.callback.then(() => 'callback' as const),
    allow.waitFor().then(() => 'consent' as const),
  ]);
  if (first === 'consent') {
    expect(await accessibilityProblems(page)).toEqual([]);
    await allow.click();
  }
  const callback = await started.callback;
  const tokens = await oidc.authorizationCodeGrant(rp, callback, {
    pkceCodeVerifier: started.request.verifier,
    expectedState: started.request.state,
    expectedNonce: started.request.nonce,
    idTokenExpected: true,
  });
  return tokens.claims() as unknown as Record<string, unknown>;
}

it('registers a passkey on /account/mfa, signed in there with the password', async () => {
  const session = await openSession();
  const { page } = session;
  try {
    await page.goto(`${node.issuer}/account/mfa`);
    // The account page signs in through Gatehouse itself.
    await page.waitForURL(`${node.issuer}/interaction/**`);
    await page.getByLabel('Username').fill(ALICE.username);
    await page.getByLabel('Password').fill(ALICE.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${node.issuer}/account/mfa**`);

    const name = page.getByLabel('Name of the new passkey');
    await name.waitFor();
    await expect(name.inputValue()).resolves.toBe('Passkey');
    expect(await accessibilityProblems(page)).toEqual([]);
    await name.fill('Laptop');
    await page.getByRole('button', { name: 'Create the passkey' }).click();
    // The page comes back listing it.
    await page.locator('.account-passkey-name', { hasText: 'Laptop' }).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);

    const stored = await storedPasskeys();
    expect(stored).toEqual([
      {
        id: expect.stringMatching(/^[\w-]+$/),
        name: 'Laptop',
        counter: expect.anything(),
        device_type: expect.stringMatching(/^(singleDevice|multiDevice)$/),
        transports: expect.any(Array),
        last_used_at: null,
      },
    ]);
    const held = await heldCredentials(session);
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
    // The user handle is the account id (no personal data, WebAuthn §14.6.1).
    expect(Buffer.from(String(held[0]!.userHandle), 'base64').toString('utf8')).toBe(aliceId);
    expect(Buffer.from(String(held[0]!.credentialId), 'base64').toString('base64url')).toBe(stored[0]!.id);
    credential = held[0]!;
    stale = held[0]!;

    // Registering the same authenticator again is refused by the authenticator itself
    // (excludeCredentials, §5.4.3): the page shows the error and nothing is stored.
    await page.getByRole('button', { name: 'Create the passkey' }).click();
    await page.locator('.passkey-register .passkey-error').waitFor();
    expect(await storedPasskeys()).toHaveLength(1);
    expect(session.blocked).toEqual([]);
  } finally {
    await session.context.close();
  }
});

it('signs in with the passkey alone, with no username: amr says key, user verified, mfa', async () => {
  expect(credential).toBeDefined();
  const before = Number((await storedPasskeys())[0]!.counter);
  const session = await openSession(credential);
  const { page } = session;
  try {
    const started = await startAuthorization(page);
    const button = page.getByRole('button', { name: 'Sign in with a passkey' });
    await button.waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);

    // The result the script posts is sent twice: the second, a replay of a correctly signed
    // assertion with the same challenge, is refused (the challenge was taken by the first).
    let replayed: { status: number; body: unknown } | undefined;
    await page.route('**/interaction/*/passkey', async (route) => {
      const first = await route.fetch();
      const again = await route.fetch();
      replayed = { status: again.status(), body: await again.json() };
      await route.fulfill({ response: first });
    });
    await button.click();
    const claims = await finishAtRelyingParty(page, started);

    expect(replayed).toEqual({
      status: 400,
      body: {
        error: 'invalid_request',
        error_description: 'This passkey request has expired or was used already. Please try again.',
      },
    });
    expect(claims.sub).toBe(aliceId);
    const amr = claims.amr as string[];
    expect(amr).toEqual([expect.stringMatching(/^(hwk|swk)$/), 'user', 'mfa']);
    expect(claims.acr).toBe('urn:gatehouse:acr:mfa');

    const [after] = await storedPasskeys();
    expect(Number(after!.counter)).toBeGreaterThan(before);
    expect(after!.last_used_at).toBeInstanceOf(Date);
    // A singleDevice passkey is a hardware-bound key (hwk), a synced one a software key (swk).
    expect(amr[0]).toBe(after!.device_type === 'multiDevice' ? 'swk' : 'hwk');
    expect(session.blocked).toEqual([]);
    // The authenticator counted the use: the next context gets its current state.
    credential = (await heldCredentials(session))[0]!;
  } finally {
    await session.context.close();
  }
});

it('takes the passkey as the second factor after the password', async () => {
  const before = Number((await storedPasskeys())[0]!.counter);
  const session = await openSession(credential);
  const { page } = session;
  try {
    const started = await startAuthorization(page);
    await page.getByLabel('Username').fill(ALICE.username);
    await page.getByLabel('Password').fill(ALICE.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    // Alice has a second factor now: the second-factor page, with the passkey offered.
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    const button = page.getByRole('button', { name: 'Use a passkey instead' });
    await button.waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await button.click();
    const claims = await finishAtRelyingParty(page, started);

    expect(claims.sub).toBe(aliceId);
    expect(claims.amr).toEqual(['pwd', expect.stringMatching(/^(hwk|swk)$/), 'user', 'mfa']);
    expect(claims.acr).toBe('urn:gatehouse:acr:mfa');
    expect(Number((await storedPasskeys())[0]!.counter)).toBeGreaterThan(before);
    expect(session.blocked).toEqual([]);
    credential = (await heldCredentials(session))[0]!;
  } finally {
    await session.context.close();
  }
});

it("shows the refusal of a disabled account's passkey in the page", async () => {
  const session = await openSession(credential);
  const { page } = session;
  await node.services.accounts.setDisabled(aliceId, true);
  try {
    await startAuthorization(page);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const alert = page.locator('.passkey-error');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toBe('This account is disabled. Contact your administrator.');
    expect(page.url()).toMatch(new RegExp(`^${node.issuer}/interaction/`));
    expect(await accessibilityProblems(page)).toEqual([]);
  } finally {
    await node.services.accounts.setDisabled(aliceId, false);
    await session.context.close();
  }
});

it('refuses a clone of the passkey whose signature counter fell behind (WebAuthn §6.1.1)', async () => {
  const before = await storedPasskeys();
  const session = await openSession(stale);
  const { page } = session;
  try {
    await startAuthorization(page);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const alert = page.locator('.passkey-error');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toBe('The passkey could not be used. Please try again.');
    expect(page.url()).toMatch(new RegExp(`^${node.issuer}/interaction/`));
    // Nothing moved: the counter and the last use are those of the real authenticator's sign-ins.
    expect(await storedPasskeys()).toEqual(before);
  } finally {
    await session.context.close();
  }
});

it('shows no passkey button to a browser without WebAuthn; the password still works', async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  // A browser without the WebAuthn API (older, or with it turned off).
  await context.addInitScript('delete window.PublicKeyCredential');
  const page = await context.newPage();
  try {
    await startAuthorization(page);
    await page.getByLabel('Username').waitFor();
    // The scripts ran (the page is loaded) and left the section hidden.
    await page.waitForLoadState('load');
    await expect(page.locator('section.passkey').isHidden()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Sign in with a passkey' }).count()).resolves.toBe(0);
  } finally {
    await context.close();
  }
});
