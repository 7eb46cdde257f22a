/**
 * Who may hold what: the admin scope only for clients that list it and accounts with the admin role
 * (and never through a third-party client's consent page); client metadata that makes no sense is
 * refused; a changed password, a reset or a disabled account ends every token and session at once.
 */
import { checkClientMetadata } from '../../src/clients/validate';
import { ADMIN, ALICE, DEMO_WEB } from '../support/fixtures';
import { OTP_GRANT } from '../../src/oidc/grants/names';
import { discover } from '../support/rp';
import { startTestServer, type TestServer } from '../support/server';
import { accessToken, decodeJwtPayload, passwordGrant } from '../support/tokens';
import { expectTokensEnded } from './support';
import { demoWeb, newBrowser, redeem, signIn, start, answerConsent } from '../interactions/support/flow';
import { expectCallback, expectPage, textOf } from '../support/browser';

const ALICE_ID = ALICE.id;
const THIRD_PARTY = { id: 'third-party', secret: 'third-party-secret-0123456789' };
const REDIRECT = DEMO_WEB.redirectUri;

let node: TestServer;
let adminToken: string;

beforeAll(async () => {
  node = await startTestServer();
  adminToken = await accessToken(node.issuer, 'openid admin', { username: ADMIN.username });
  // A third-party client whose registration lists admin: consent must still never grant it.
  await node.services.clients.save({
    client_id: THIRD_PARTY.id,
    client_secret: THIRD_PARTY.secret,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [REDIRECT],
    scope: 'openid profile admin',
  });
});

afterAll(async () => {
  await node?.stop();
});

function adminApi(method: string, path: string, json?: unknown) {
  return fetch(`${node.issuer}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${adminToken}`,
      ...(json === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
}

describe('the admin scope', () => {
  it('is not among the scopes of a client created without a scope list', async () => {
    const res = await adminApi('POST', '/api/admin/clients', {
      client_name: 'No list',
      redirect_uris: [REDIRECT],
    });
    expect(res.status).toBe(201);
    const client = (await res.json()) as { client_id: string; scope: string };
    expect(client.scope).toBe('openid profile email');

    const auth = await fetch(
      `${node.issuer}/auth?${new URLSearchParams({
        client_id: client.client_id,
        redirect_uri: REDIRECT,
        response_type: 'code',
        scope: 'openid admin',
        state: 's',
      })}`,
      { redirect: 'manual' },
    );
    const location = new URL(auth.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_scope');
  });

  it('is never offered or granted through the consent page of a third-party client', async () => {
    const rp = await discover(node.issuer, THIRD_PARTY.id, THIRD_PARTY.secret);
    const browser = newBrowser();
    const started = await start(browser, rp, REDIRECT, { scope: 'openid profile admin' });
    const consent = expectPage(
      await signIn(browser, expectPage(started.outcome), ADMIN.username, ADMIN.password),
    );
    expect(consent.url).toContain('/interaction/');
    expect(textOf(consent)).not.toContain('Administer Gatehouse');
    const callback = expectCallback(await answerConsent(browser, consent, 'allow'));
    const tokens = await redeem(rp, callback, started);
    expect(tokens.scope?.split(' ').sort()).toEqual(['openid', 'profile']);
    const res = await fetch(`${node.issuer}/api/admin/users`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(res.status).toBe(403);
    // Asked again, it goes straight through (admin was refused, not left pending), still without it.
    const again = await start(browser, rp, REDIRECT, { scope: 'openid profile admin' });
    const second = await redeem(rp, expectCallback(again.outcome), again);
    expect(second.scope?.split(' ').sort()).toEqual(['openid', 'profile']);
  });

  it('is granted by the password grant only to an account with the admin role', async () => {
    const alice = await passwordGrant(node.issuer, { scope: 'openid admin' });
    expect(alice.status).toBe(200);
    expect(alice.body.scope).toBe('openid');
    const admin = await passwordGrant(node.issuer, { username: ADMIN.username, scope: 'openid admin' });
    expect(admin.body.scope).toBe('openid admin');
  });
});

describe('client metadata', () => {
  it.each(['password', 'client_credentials', OTP_GRANT])(
    'refuses a public client with the %s grant, and stores nothing',
    async (grant) => {
      const before = (await node.services.clients.list()).length;
      const res = await adminApi('POST', '/api/admin/clients', {
        client_name: 'Public',
        public: true,
        grant_types: [grant],
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; details: Record<string, string> };
      expect(body.error).toBe('invalid_client_metadata');
      expect(body.details.grant_types).toMatch(/^a public client cannot use the .* grant: it has no secret$/);
      expect((await node.services.clients.list()).length).toBe(before);
    },
  );

  it('refuses plain-http redirect URIs in production, but for loopback and custom schemes', () => {
    const client = (uris: string[]) => ({
      client_id: 'c',
      redirect_uris: uris,
      grant_types: ['authorization_code'],
    });
    const production = { production: true };
    expect(checkClientMetadata(client(['http://app.example.com/cb']), production)).toEqual({
      redirect_uris: 'must use https in production (loopback http is allowed): http://app.example.com/cb',
    });
    for (const uri of [
      'https://app.example.com/cb',
      'http://127.0.0.1:7777/cb',
      'http://[::1]/cb',
      'http://localhost:5173/cb',
      'com.example.app:/cb',
    ])
      expect(checkClientMetadata(client([uri]), production)).toEqual({});
    expect(checkClientMetadata(client(['http://app.example.com/cb']), { production: false })).toEqual({});
    expect(
      checkClientMetadata(
        { client_id: 'c', post_logout_redirect_uris: ['http://app.example.com/'] },
        production,
      ),
    ).toEqual({
      post_logout_redirect_uris:
        'must use https in production (loopback http is allowed): http://app.example.com/',
    });
  });
});

describe('a changed password or a disabled account', () => {
  /** Alice with an access token, a refresh token and a signed-in browser session at demo-web. */
  async function signedInEverywhere() {
    const tokens = await passwordGrant(node.issuer, { scope: 'openid offline_access profile' });
    expect(tokens.status).toBe(200);
    const rp = await demoWeb(node.issuer);
    const browser = newBrowser();
    const started = await start(browser, rp, DEMO_WEB.redirectUri);
    let outcome = await signIn(browser, expectPage(started.outcome), ALICE.username, ALICE.password);
    if (outcome.kind === 'page') outcome = await answerConsent(browser, outcome.page, 'allow');
    await redeem(rp, expectCallback(outcome), started);
    return {
      access: tokens.body.access_token as string,
      refresh: tokens.body.refresh_token as string,
      rp,
      browser,
    };
  }

  async function expectEverythingEnded(state: Awaited<ReturnType<typeof signedInEverywhere>>) {
    await expectTokensEnded(node.issuer, state);
    // The browser's session is gone: a silent request needs a login again.
    const silent = await start(state.browser, state.rp, DEMO_WEB.redirectUri, { prompt: 'none' });
    expect(expectCallback(silent.outcome).searchParams.get('error')).toBe('login_required');
  }

  it('ends every token and session of the account when an administrator sets a new password', async () => {
    const state = await signedInEverywhere();
    const res = await adminApi('POST', `/api/admin/users/${ALICE_ID}/password`, { password: ALICE.password });
    expect(res.status).toBe(204);
    await expectEverythingEnded(state);
  });

  it('ends every token and session of the account when it is disabled', async () => {
    const state = await signedInEverywhere();
    expect((await adminApi('POST', `/api/admin/users/${ALICE_ID}/disable`)).status).toBe(200);
    expect((await adminApi('POST', `/api/admin/users/${ALICE_ID}/enable`)).status).toBe(200);
    await expectEverythingEnded(state);
  });

  it("leaves other accounts' tokens alone", async () => {
    const admin = await passwordGrant(node.issuer, { username: ADMIN.username, scope: 'openid' });
    await adminApi('POST', `/api/admin/users/${ALICE_ID}/password`, { password: ALICE.password });
    const idToken = decodeJwtPayload(admin.body.id_token as string);
    expect(idToken.sub).not.toBe(ALICE_ID);
    const res = await fetch(`${node.issuer}/me`, {
      headers: { authorization: `Bearer ${admin.body.access_token as string}` },
    });
    expect(res.status).toBe(200);
  });
});
