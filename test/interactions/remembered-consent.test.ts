/**
 * Remembered consent end to end, over real HTTP with openid-client as a third-party relying party:
 * a consent given in one browser session holds in the next (a new cookie jar, or after signing out),
 * a request for more asks only for the new part, a remembered offline_access gives a refresh token
 * without prompt=consent (OpenID Connect Core §11), and DELETE /api/account/consents/:clientId
 * takes it back: the grant's access and refresh tokens die and the next request asks again.
 * The API's answers are checked against the node's OpenAPI document (api()).
 */
import { TEST_PASSWORD } from '../support/fixtures';
import { discover, oidc } from '../support/rp';
import { accessToken } from '../support/tokens';
import { expectCallback, expectPage, type Browser, type Page } from '../support/browser';
import { api, startApiNode, type ApiNode } from '../api/support';
import { answerConsent, newBrowser, redeem, signIn, start, type Started } from './support/flow';

const CLIENT_ID = 'consent-app';
const CLIENT_SECRET = 'consent-app-secret';
const REDIRECT_URI = 'http://localhost:9090/callback';

let node: ApiNode;
let rp: oidc.Configuration;

beforeAll(async () => {
  node = await startApiNode();
  // A third-party client (not first_party): it is asked for consent.
  await node.services.clients.save({
    client_id: CLIENT_ID,
    client_name: 'Consent App',
    client_secret: CLIENT_SECRET,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
    post_logout_redirect_uris: ['http://localhost:9090/signed-out'],
    scope: 'openid profile email phone offline_access',
  });
  rp = await discover(node.issuer, CLIENT_ID, CLIENT_SECRET);
});

afterAll(async () => {
  await node?.stop();
});

let named = 0;
/** A new account for each test: consents are per account, and the database lives for the file. */
async function newAccount(): Promise<{ username: string; token: string }> {
  named += 1;
  const { username } = await node.services.accounts.create({
    username: `consent-${named}`,
    password: TEST_PASSWORD,
  });
  // Scope `account` is for first-party clients only: demo-cli's password grant.
  return { username, token: await accessToken(node.issuer, 'openid account', { username }) };
}

/** The consent page's items: titles of what is asked for now, and of what was allowed before. */
function consentItems(page: Page): { asked: string[]; allowed: string[] } {
  const asked: string[] = [];
  const allowed: string[] = [];
  for (const match of page.html.matchAll(
    /<li class="permission( permission-granted)?">\s*<span class="permission-title">([^<]*)/g,
  ))
    (match[1] ? allowed : asked).push(match[2]!.trim());
  return { asked, allowed };
}

function isConsentPage(page: Page): boolean {
  return page.html.includes('name="decision"');
}

/** An authorization request in `browser`; the login page when there is no session. */
async function authorize(browser: Browser, scope: string, params: Record<string, string> = {}) {
  return start(browser, rp, REDIRECT_URI, { scope, ...params });
}

/** Sign-in on the login page the request showed; what came next (a consent page or the callback). */
async function signInAfter(browser: Browser, started: Started, username: string) {
  return signIn(browser, expectPage(started.outcome), username, TEST_PASSWORD);
}

async function listConsents(token: string) {
  const res = await api(node, 'GET', '/api/account/consents', { token });
  expect(res.status).toBe(200);
  return res.body as {
    client_id: string;
    client_name: string | null;
    scopes: string[];
    granted_at: string;
  }[];
}

describe('a remembered consent', () => {
  it('holds in a new browser session and after signing out: no consent page, the code comes straight back', async () => {
    const { username, token } = await newAccount();
    const first = newBrowser();
    const started = await authorize(first, 'openid profile');
    const consent = expectPage(await signInAfter(first, started, username));
    expect(consentItems(consent)).toEqual({ asked: ['Know who you are', 'Your profile'], allowed: [] });
    const tokens = await redeem(rp, expectCallback(await answerConsent(first, consent, 'allow')), started);

    const listed = await listConsents(token);
    expect(listed).toEqual([
      {
        client_id: CLIENT_ID,
        client_name: 'Consent App',
        scopes: ['openid', 'profile'],
        granted_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      },
    ]);
    expect(Math.abs(Date.parse(listed[0]!.granted_at) - Date.now())).toBeLessThan(60_000);

    // Browser session 2: a fresh cookie jar. Sign in, and the code comes back without a consent page.
    const second = newBrowser();
    const again = await authorize(second, 'openid profile');
    const back = await redeem(rp, expectCallback(await signInAfter(second, again, username)), again);
    expect(back.claims()!.sub).toBe(tokens.claims()!.sub);
    expect(back.scope?.split(' ').sort()).toEqual(['openid', 'profile']);

    // Signing out of browser 1 (RP-initiated logout) ends that session, not the consent.
    const confirm = expectPage(
      await first.go(oidc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token! }).toString()),
    );
    await first.submit(confirm, '/session/end/confirm', { logout: 'yes' });
    const afterLogout = await authorize(first, 'openid profile');
    await redeem(rp, expectCallback(await signInAfter(first, afterLogout, username)), afterLogout);
  });

  it('asks only for what is new, and remembers the union', async () => {
    const { username, token } = await newAccount();
    const first = newBrowser();
    const started = await authorize(first, 'openid email');
    const consent = expectPage(await signInAfter(first, started, username));
    await redeem(rp, expectCallback(await answerConsent(first, consent, 'allow')), started);

    const second = newBrowser();
    const more = await authorize(second, 'openid email phone');
    const page = expectPage(await signInAfter(second, more, username));
    expect(isConsentPage(page)).toBe(true);
    expect(consentItems(page)).toEqual({
      asked: ['Your phone number'],
      allowed: ['Know who you are', 'Your email address'],
    });
    const tokens = await redeem(rp, expectCallback(await answerConsent(second, page, 'allow')), more);
    expect(tokens.scope?.split(' ').sort()).toEqual(['email', 'openid', 'phone']);
    expect((await listConsents(token))[0]!.scopes).toEqual(['email', 'openid', 'phone']);

    // A third session asks for a part of it: straight through.
    const third = newBrowser();
    const part = await authorize(third, 'openid phone');
    await redeem(rp, expectCallback(await signInAfter(third, part, username)), part);
  });
});

describe('offline_access', () => {
  it('gives a refresh token without prompt=consent once offline access was allowed', async () => {
    const { username, token } = await newAccount();
    // The first time, §11's own condition: prompt=consent, and the person allows "Stay connected".
    const first = newBrowser();
    const started = await authorize(first, 'openid offline_access', { prompt: 'consent' });
    const consent = expectPage(await signInAfter(first, started, username));
    expect(consentItems(consent).asked).toEqual(['Know who you are', 'Stay connected']);
    const given = await redeem(rp, expectCallback(await answerConsent(first, consent, 'allow')), started);
    expect(given.refresh_token).toEqual(expect.any(String));
    expect((await listConsents(token))[0]!.scopes).toEqual(['offline_access', 'openid']);

    // A new session, no prompt parameter: no consent page, and the code redeems for a refresh token.
    const second = newBrowser();
    const again = await authorize(second, 'openid offline_access');
    const tokens = await redeem(rp, expectCallback(await signInAfter(second, again, username)), again);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.access_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).toEqual(expect.any(String));

    // prompt=login (without consent): the password again, and still a refresh token.
    const relogin = await authorize(second, 'openid offline_access', { prompt: 'login' });
    const withLogin = await redeem(rp, expectCallback(await signInAfter(second, relogin, username)), relogin);
    expect(withLogin.refresh_token).toEqual(expect.any(String));

    // Offline access outlives the session: signing out of browser 2 leaves the refresh token working.
    const confirm = expectPage(
      await second.go(oidc.buildEndSessionUrl(rp, { id_token_hint: withLogin.id_token! }).toString()),
    );
    await second.submit(confirm, '/session/end/confirm', { logout: 'yes' });
    expect((await oidc.refreshTokenGrant(rp, withLogin.refresh_token!)).access_token).toEqual(
      expect.any(String),
    );
  });

  it('gives none to a client never allowed offline access', async () => {
    const { username } = await newAccount();
    const first = newBrowser();
    const started = await authorize(first, 'openid');
    const consent = expectPage(await signInAfter(first, started, username));
    await redeem(rp, expectCallback(await answerConsent(first, consent, 'allow')), started);
    // Without prompt=consent the library drops offline_access from the request: nothing new to ask.
    const second = newBrowser();
    const offline = await authorize(second, 'openid offline_access');
    const tokens = await redeem(rp, expectCallback(await signInAfter(second, offline, username)), offline);
    expect(tokens.refresh_token).toBeUndefined();
  });
});

describe('DELETE /api/account/consents/:clientId', () => {
  it('revokes the grant’s refresh and access tokens, and the next request asks again', async () => {
    const { username, token } = await newAccount();
    const browser = newBrowser();
    const started = await authorize(browser, 'openid profile offline_access', { prompt: 'consent' });
    const consent = expectPage(await signInAfter(browser, started, username));
    const tokens = await redeem(rp, expectCallback(await answerConsent(browser, consent, 'allow')), started);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect((await oidc.tokenIntrospection(rp, tokens.refresh_token!)).active).toBe(true);
    expect((await oidc.tokenIntrospection(rp, tokens.access_token)).active).toBe(true);

    const res = await api(node, 'DELETE', `/api/account/consents/${CLIENT_ID}`, { token });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();

    expect((await oidc.tokenIntrospection(rp, tokens.refresh_token!)).active).toBe(false);
    expect((await oidc.tokenIntrospection(rp, tokens.access_token)).active).toBe(false);
    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    expect(await listConsents(token)).toEqual([]);

    // Still signed in (no login page), but the client is asked again, all of it new.
    const next = await authorize(browser, 'openid profile');
    const page = expectPage(next.outcome);
    expect(isConsentPage(page)).toBe(true);
    expect(consentItems(page)).toEqual({ asked: ['Know who you are', 'Your profile'], allowed: [] });

    // Taken back already: nothing to take back.
    const twice = await api(node, 'DELETE', `/api/account/consents/${CLIENT_ID}`, { token });
    expect(twice.status).toBe(404);
    expect(twice.body).toEqual({ error: 'not_found', error_description: 'no consent for this client' });
  });

  it('answers 404 for an unknown client and for an id no client can have, 401/403 without the right token', async () => {
    const { token } = await newAccount();
    for (const clientId of ['no-such-client', 'x'.repeat(300), encodeURIComponent('a\u0000b')]) {
      const res = await api(node, 'DELETE', `/api/account/consents/${clientId}`, { token });
      expect(res.status).toBe(404);
      expect(Object.keys(res.body as object).sort()).toEqual(['error', 'error_description']);
    }
    expect((await api(node, 'GET', '/api/account/consents')).status).toBe(401);
    const profileOnly = await accessToken(node.issuer, 'openid profile', { username: `consent-${named}` });
    const refused = await api(node, 'GET', '/api/account/consents', { token: profileOnly });
    expect(refused.status).toBe(403);
    expect((refused.body as { error: string }).error).toBe('insufficient_scope');
  });
});
