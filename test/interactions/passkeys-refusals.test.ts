/**
 * The passkey routes over plain HTTP, without an authenticator: what they refuse, always as a 4xx
 * JSON answer (never a 500): a response to no challenge, to another interaction's challenge, to a
 * challenge already taken (single use), an unknown credential, a cross-site post, a second factor
 * with no password shown, a registration with no signed-in account page. Plus the login page's
 * passkey section and the two scripts it loads.
 */
import { discover, oidc } from '../support/rp';
import { startTestServer, type TestServer } from '../support/server';
import { expectPage, type Browser, type Page } from '../support/browser';
import { DEMO_WEB } from '../support/fixtures';
import { newBrowser, start } from './support/flow';

let node: TestServer;
let web: oidc.Configuration;

beforeAll(async () => {
  node = await startTestServer();
  web = await discover(node.issuer, DEMO_WEB.id, DEMO_WEB.secret);
});

afterAll(() => node?.stop());

interface Login {
  browser: Browser;
  page: Page;
  /** /interaction/:uid/passkey */
  action: string;
}

async function loginPage(): Promise<Login> {
  const browser = newBrowser();
  const started = await start(browser, web, DEMO_WEB.redirectUri);
  const page = expectPage(started.outcome);
  const options = /data-options-action="([^"]+)"/.exec(page.html)?.[1];
  if (!options) throw new Error(`no passkey section on the login page:\n${page.html}`);
  return { browser, page, action: options.replace(/\/options$/, '') };
}

/** A JSON post from this browser's page (its cookies, same-origin Fetch Metadata). */
async function postJson(
  browser: Browser,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string | null; body: Record<string, unknown> }> {
  const url = new URL(path, node.issuer);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      'sec-fetch-site': 'same-origin',
      cookie: browser.jar.header(url) ?? '',
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

/** An assertion (WebAuthn §5.2.2) answering `challenge`, signed by no one. */
function forgedAssertion(challenge: string, id = 'bm90LWEtcmVnaXN0ZXJlZC1wYXNza2V5') {
  const clientData = { type: 'webauthn.get', challenge, origin: node.issuer, crossOrigin: false };
  return {
    id,
    rawId: id,
    type: 'public-key',
    response: {
      clientDataJSON: Buffer.from(JSON.stringify(clientData)).toString('base64url'),
      authenticatorData: Buffer.alloc(37).toString('base64url'),
      signature: Buffer.alloc(64).toString('base64url'),
    },
    clientExtensionResults: {},
  };
}

const EXPIRED = {
  error: 'invalid_request',
  error_description: 'This passkey request has expired or was used already. Please try again.',
};
const UNKNOWN = {
  error: 'invalid_request',
  error_description: 'This passkey is not registered for a Gatehouse account.',
};

describe('the login page', () => {
  it('has a hidden passkey section and loads its two scripts from the app', async () => {
    const { page, action } = await loginPage();
    expect(action).toMatch(/^\/interaction\/[\w-]+\/passkey$/);
    expect(page.html).toMatch(/<section class="passkey"[^>]* hidden/);
    expect(page.html).toContain('<button class="button button-secondary passkey-button" type="button">');
    expect(page.html).toContain('<script src="/assets/simplewebauthn-browser.js" defer></script>');
    expect(page.html).toContain('<script src="/assets/passkeys.js" defer></script>');
    // No inline script: the CSP allows 'self' only.
    expect(page.html).not.toMatch(/<script(?! src="\/assets\/)/);
  });

  it.each(['/assets/passkeys.js', '/assets/simplewebauthn-browser.js'])(
    'serves %s with an ETag',
    async (path) => {
      const res = await fetch(`${node.issuer}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('public, max-age=3600');
      expect(await res.text()).toMatch(/startAuthentication|SimpleWebAuthnBrowser/);
      const again = await fetch(`${node.issuer}${path}`, {
        headers: { 'if-none-match': res.headers.get('etag')!, 'cache-control': 'max-age=0' },
      });
      expect(again.status).toBe(304);
    },
  );
});

describe('signing in with a passkey', () => {
  it('gives discoverable options: this RP ID, no allowCredentials, user verification required', async () => {
    const { browser, action } = await loginPage();
    const options = await postJson(browser, `${action}/options`, {});
    expect(options.status).toBe(200);
    expect(options.body).toEqual({
      challenge: expect.stringMatching(/^[\w-]{43}$/),
      timeout: 60000,
      rpId: '127.0.0.1',
      userVerification: 'required',
    });
  });

  it('refuses a response to no challenge it issued', async () => {
    const { browser, action } = await loginPage();
    const answer = await postJson(browser, action, forgedAssertion('bm8tc3VjaC1jaGFsbGVuZ2U'));
    expect(answer).toEqual({ status: 400, type: 'application/json; charset=utf-8', body: EXPIRED });
    // Not a WebAuthn response at all.
    expect(await postJson(browser, action, {})).toMatchObject({ status: 400, body: EXPIRED });
    expect(await postJson(browser, action, [1, 2])).toMatchObject({ status: 400 });
  });

  it("refuses another interaction's challenge, and leaves it to its own", async () => {
    const first = await loginPage();
    const second = await loginPage();
    const { body } = await postJson(first.browser, `${first.action}/options`, {});
    const challenge = String(body.challenge);
    // The second browser, in its own interaction, with the first one's challenge.
    const foreign = await postJson(second.browser, second.action, forgedAssertion(challenge));
    expect(foreign).toMatchObject({ status: 400, body: EXPIRED });
    // The challenge is still the first interaction's: there it reaches the credential look-up.
    const own = await postJson(first.browser, first.action, forgedAssertion(challenge));
    expect(own).toMatchObject({ status: 400, body: UNKNOWN });
  });

  it('takes a challenge once: a second response to it is refused', async () => {
    const { browser, action } = await loginPage();
    const { body } = await postJson(browser, `${action}/options`, {});
    const response = forgedAssertion(String(body.challenge));
    expect(await postJson(browser, action, response)).toMatchObject({ status: 400, body: UNKNOWN });
    expect(await postJson(browser, action, response)).toMatchObject({ status: 400, body: EXPIRED });
    const rows = await node.services.db('webauthn_challenges').where('subject', action.split('/')[2]!);
    expect(rows).toEqual([]);
  });

  it('refuses a cross-site post and a post without the interaction cookie', async () => {
    const { browser, action } = await loginPage();
    const crossSite = await postJson(browser, `${action}/options`, {}, { 'sec-fetch-site': 'cross-site' });
    expect(crossSite).toEqual({
      status: 403,
      type: 'application/json; charset=utf-8',
      body: { error: 'access_denied', error_description: 'the request was not sent from this site' },
    });
    const noCookie = await postJson(browser, `${action}/options`, {}, { cookie: '' });
    expect(noCookie.status).toBe(400);
    expect(noCookie.body.error).toBe('invalid_request');
  });

  it('refuses a body that is not JSON', async () => {
    const { browser, action } = await loginPage();
    const url = new URL(action, node.issuer);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: browser.jar.header(url) ?? '' },
      body: '{"id":',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'invalid_request',
      error_description: 'the request body could not be parsed',
    });
  });
});

describe('a passkey as the second factor', () => {
  it('is refused before a password was shown', async () => {
    const { browser, action } = await loginPage();
    const options = await postJson(browser, `${action}/second-factor/options`, {});
    expect(options).toEqual({
      status: 400,
      type: 'application/json; charset=utf-8',
      body: { error: 'invalid_request', error_description: 'Please sign in with your password first.' },
    });
    const verify = await postJson(browser, `${action}/second-factor`, forgedAssertion('eA'));
    expect(verify).toMatchObject({ status: 400, body: options.body });
  });
});

describe('registering a passkey', () => {
  it('needs a signed-in account page', async () => {
    const browser = newBrowser();
    for (const path of ['/account/mfa/passkeys/options', '/account/mfa/passkeys']) {
      const answer = await postJson(browser, path, { name: 'x' });
      expect(answer).toEqual({
        status: 401,
        type: 'application/json; charset=utf-8',
        body: { error: 'access_denied', error_description: 'sign in on the account page first' },
      });
    }
  });
});
