/**
 * The device authorization grant (RFC 8628) end to end: openid-client starts it and polls, a person
 * enters the code on Gatehouse's /device pages (signing in through the login interaction) and the
 * poll gets tokens; the polling answers of §3.5, the user-code limit of §5.1, two nodes, reuse.
 */
import { DEVICE_CODE_GRANT } from '../../src/oidc/grants/names';
import { Browser, expectPage, formsOf, textOf, titleOf, type Page } from '../support/browser';
import { usingPostgres } from '../support/database';
import { ALICE, DEMO_DEVICE, DEMO_SPA, DEMO_WEB } from '../support/fixtures';
import { discover, oidc } from '../support/rp';
import { startTestServer, useTwoNodes, type TestServer } from '../support/server';

type DeviceStart = Awaited<ReturnType<typeof oidc.initiateDeviceAuthorization>>;

const SCOPE = 'openid profile email offline_access';

/** The protocol error openid-client threw (a ResponseBodyError's `error`). */
async function protocolError(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (err) {
    const { error, code } = err as { error?: string; code?: string };
    return error ?? code ?? String(err);
  }
  throw new Error('expected the request to fail');
}

/** One poll of the token endpoint, as a device makes it (no waiting). */
function pollOnce(rp: oidc.Configuration, started: DeviceStart) {
  return oidc.genericGrantRequest(rp, DEVICE_CODE_GRANT, { device_code: started.device_code });
}

/** Opens the verification URI and posts the code: the confirmation page (or whatever answers). */
async function enterCode(browser: Browser, verificationUri: string, userCode: string): Promise<Page> {
  const entry = expectPage(await browser.go(verificationUri));
  expect(entry.status).toBe(200);
  return expectPage(await browser.submit(entry, '/device', { user_code: userCode }));
}

/** Confirms on the confirmation page and answers the login (and consent) pages: the last page. */
async function confirmAndSignIn(browser: Browser, confirm: Page): Promise<Page> {
  let page = expectPage(await browser.submit(confirm, '/device', { confirm: 'yes' }));
  for (let step = 0; step < 4; step++) {
    const login = formsOf(page).find((f) => 'password' in f.fields || f.action.endsWith('/login'));
    if (login) {
      page = expectPage(await browser.submit(login, { username: ALICE.username, password: ALICE.password }));
      continue;
    }
    const consent = formsOf(page).find((f) => f.buttons.some((b) => b.value === 'allow'));
    if (consent) {
      page = expectPage(await browser.submit(consent, { decision: 'allow' }));
      continue;
    }
    break;
  }
  return page;
}

describe('the device authorization grant on one node', () => {
  let node: TestServer;
  let device: oidc.Configuration;

  beforeAll(async () => {
    node = await startTestServer({ env: { RATE_LIMIT_DEVICE_CODE: '1000/60' } });
    device = await discover(node.issuer, DEMO_DEVICE.id);
  });
  afterAll(() => node?.stop());

  it('is advertised, and a person signs the device in through the pages', async () => {
    expect(device.serverMetadata().device_authorization_endpoint).toBe(`${node.issuer}/device/auth`);
    const started = await oidc.initiateDeviceAuthorization(device, { scope: SCOPE });
    expect(started).toMatchObject({
      verification_uri: `${node.issuer}/device`,
      expires_in: 600,
    });
    expect(started.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(started.verification_uri_complete).toBe(
      `${node.issuer}/device?user_code=${encodeURIComponent(started.user_code)}`,
    );

    const browser = new Browser();
    // Typed the way people type it: lower case, no dash.
    const confirm = await enterCode(
      browser,
      started.verification_uri,
      started.user_code.toLowerCase().replace('-', ''),
    );
    expect(confirm.status).toBe(200);
    expect(titleOf(confirm)).toBe('Sign in to Demo Device on your device? · Gatehouse');
    expect(textOf(confirm)).toContain(started.user_code);
    expect(confirm.headers.get('cache-control')).toBe('no-store');
    expect(confirm.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(confirm.html).not.toMatch(/<script|onfocus|style=/);

    const done = await confirmAndSignIn(browser, confirm);
    expect(done.status).toBe(200);
    expect(titleOf(done)).toBe('Your device is signed in · Gatehouse');
    expect(textOf(done)).toContain('You are signed in to Demo Device on your device.');
    // Entered again before the device polled: the code is taken.
    const taken = await enterCode(new Browser(), started.verification_uri, started.user_code);
    expect(textOf(taken)).toContain('That code has been used already.');

    const tokens = await oidc.pollDeviceAuthorizationGrant(device, started);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.claims()).toMatchObject({ iss: node.issuer, aud: DEMO_DEVICE.id, sub: ALICE.id });
    const info = await oidc.fetchUserInfo(device, tokens.access_token, ALICE.id);
    expect(info.email).toBe('alice@example.com');

    // §3.5 and RFC 6749 §10.5: the device code is spent, and so is its user code.
    expect(await protocolError(pollOnce(device, started))).toBe('invalid_grant');
    const again = await enterCode(new Browser(), started.verification_uri, started.user_code);
    expect(again.status).toBe(200);
    expect(textOf(again)).toContain('That code is not right.');
    expect(titleOf(again)).toBe('Connect a device · Gatehouse');
  }, 30_000);

  it('answers authorization_pending, then slow_down to a device polling too fast', async () => {
    const started = await oidc.initiateDeviceAuthorization(device, { scope: 'openid' });
    expect(await protocolError(pollOnce(device, started))).toBe('authorization_pending');
    expect(await protocolError(pollOnce(device, started))).toBe('slow_down');
  });

  it('answers expired_token once the code has expired', async () => {
    const started = await oidc.initiateDeviceAuthorization(device, { scope: 'openid' });
    // DEVICE_CODE_TTL is at least a minute: the code's row is aged instead of waiting for it.
    const aged = await node.services
      .db('oidc_payloads')
      .where({ model: 'DeviceCode', id: started.device_code })
      .update({ expires_at: new Date(Date.now() - 1000) });
    expect(aged).toBe(1);
    expect(await protocolError(pollOnce(device, started))).toBe('expired_token');
    const page = await enterCode(new Browser(), started.verification_uri, started.user_code);
    expect(textOf(page)).toContain('That code is not right.');
  });

  it('answers access_denied when the person cancels, and the page says so', async () => {
    const started = await oidc.initiateDeviceAuthorization(device, { scope: 'openid' });
    const browser = new Browser();
    const confirm = await enterCode(browser, started.verification_uri, started.user_code);
    const cancelled = expectPage(await browser.submit(confirm, '/device', { abort: 'yes' }));
    expect(cancelled.status).toBe(200);
    expect(textOf(cancelled)).toContain('The device was not signed in.');
    expect(await protocolError(pollOnce(device, started))).toBe('access_denied');
  });

  it('shows a wrong code again with a message, in German for a German browser', async () => {
    const browser = new Browser();
    browser.headers['accept-language'] = 'de';
    const page = await enterCode(browser, `${node.issuer}/device`, 'BCDF-GHJK');
    expect(page.status).toBe(200);
    expect(titleOf(page)).toBe('Gerät verbinden · Gatehouse');
    expect(textOf(page)).toContain('Dieser Code stimmt nicht.');
    expect(formsOf(page)[0]!.fields.user_code).toBe('BCDF-GHJK');
  });

  it('refuses clients not registered for the grant with unauthorized_client', async () => {
    const spa = await discover(node.issuer, DEMO_SPA.id);
    expect(await protocolError(oidc.initiateDeviceAuthorization(spa, { scope: 'openid' }))).toBe(
      'unauthorized_client',
    );
    const started = await oidc.initiateDeviceAuthorization(device, { scope: 'openid' });
    const web = await discover(node.issuer, DEMO_WEB.id, DEMO_WEB.secret);
    expect(await protocolError(pollOnce(web, started))).toBe('unauthorized_client');
  });
});

describe('the limit on user codes', () => {
  let node: TestServer;
  let device: oidc.Configuration;

  beforeAll(async () => {
    node = await startTestServer({ env: { RATE_LIMIT_DEVICE_CODE: '3/60' } });
    device = await discover(node.issuer, DEMO_DEVICE.id);
  });
  afterAll(() => node?.stop());

  it('counts wrong and right codes alike, then answers 429 with a page', async () => {
    const started = await oidc.initiateDeviceAuthorization(device, { scope: 'openid' });
    const browser = new Browser();
    const wrong = await enterCode(browser, started.verification_uri, 'BCDF-GHJK');
    expect(textOf(wrong)).toContain('That code is not right.');
    const right = await enterCode(browser, started.verification_uri, started.user_code);
    expect(titleOf(right)).toBe('Sign in to Demo Device on your device? · Gatehouse');
    await enterCode(browser, started.verification_uri, 'BCDF-GHJL');

    const refused = await enterCode(browser, started.verification_uri, started.user_code);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(titleOf(refused)).toBe('Too many attempts · Gatehouse');
    expect(textOf(refused)).toMatch(
      /Too many codes were entered from your network\. Please wait \d+ seconds/,
    );
    // The refused post never reached the provider: the code is still pending.
    expect(await protocolError(pollOnce(device, started))).toBe('authorization_pending');
  });
});

// Two nodes share one database only on PostgreSQL: each embedded test node has its own in memory.
const describeOnPostgres = usingPostgres ? describe : describe.skip;

describeOnPostgres('the device authorization grant on two nodes', () => {
  const nodes = useTwoNodes({ RATE_LIMIT_DEVICE_CODE: '1000/60' });

  it('starts on one node, is entered on the other and polled on the first', async () => {
    const { a, b } = nodes;
    const deviceA = await discover(a.issuer, DEMO_DEVICE.id);
    const started = await oidc.initiateDeviceAuthorization(deviceA, { scope: SCOPE });
    const browser = new Browser();
    const confirm = await enterCode(browser, `${b.issuer}/device`, started.user_code);
    expect(titleOf(confirm)).toBe('Sign in to Demo Device on your device? · Gatehouse');
    const done = await confirmAndSignIn(browser, confirm);
    expect(titleOf(done)).toBe('Your device is signed in · Gatehouse');
    const tokens = await oidc.pollDeviceAuthorizationGrant(deviceA, started);
    expect(tokens.claims()).toMatchObject({ sub: ALICE.id, aud: DEMO_DEVICE.id });
    expect(await protocolError(pollOnce(deviceA, started))).toBe('invalid_grant');
  }, 30_000);
});
