/**
 * Sessions, consent and refresh tokens in the audit trail (issue 18), over real HTTP with browsers
 * signing in through the authorization code flow: consent.granted from the consent page,
 * session.ended once per ended session (RP-initiated logout, signed out on the account API,
 * POST /api/logout, the other sessions of a password change, a disabled account), and
 * token.reuse_detected when a rotated refresh token comes back and its grant is revoked.
 */
import { ALICE, DEMO_WEB, TEST_PASSWORD } from '../support/fixtures';
import { discover, oidc } from '../support/rp';
import { expectCallback, expectPage, type Browser } from '../support/browser';
import { tokenRequest } from '../support/http';
import { accessToken, passwordTokens } from '../support/tokens';
import { api, startApiNode, type ApiNode } from '../api/support';
import {
  answerConsent,
  demoWeb,
  newBrowser,
  redeem,
  signIn,
  signInAndAllow,
  start,
} from '../interactions/support/flow';
import { auditRows, onlyOnce, onlyRow, rowsAdded, traced } from './domain-trail';

const CLIENT_ID = 'audit-consent-app';
const CLIENT_SECRET = 'audit-consent-app-secret';
const REDIRECT_URI = 'http://localhost:9090/callback';

let node: ApiNode;
let web: oidc.Configuration;
let named = 0;

beforeAll(async () => {
  node = await startApiNode();
  await node.services.clients.save({
    client_id: CLIENT_ID,
    client_name: 'Audit Consent App',
    client_secret: CLIENT_SECRET,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
    scope: 'openid profile email',
  });
  web = await demoWeb(node.issuer);
});

afterAll(async () => {
  await node?.stop();
});

const db = () => node.services.db;

async function newAccount() {
  named += 1;
  return node.services.accounts.create({ username: `audit-sess-${named}`, password: TEST_PASSWORD });
}

/** A browser signed in to demo-web as the account, and the tokens demo-web got. */
async function signedIn(username: string): Promise<{ browser: Browser; tokens: oidc.TokenEndpointResponse }> {
  const browser = newBrowser();
  const started = await start(browser, web, DEMO_WEB.redirectUri);
  const tokens = await redeem(web, await signInAndAllow(browser, started, username, TEST_PASSWORD), started);
  return { browser, tokens };
}

async function sessionUids(accountId: string): Promise<string[]> {
  return (await node.services.sessions.list(accountId)).map((session) => session.id);
}

describe('consent.granted', () => {
  it('is recorded once when the consent page is allowed, with the client and the scopes', async () => {
    const account = await newAccount();
    const rp = await discover(node.issuer, CLIENT_ID, CLIENT_SECRET);
    const browser = newBrowser();
    const started = await start(browser, rp, REDIRECT_URI, { scope: 'openid profile' });
    const consent = await signIn(browser, expectPage(started.outcome), account.username, TEST_PASSWORD);
    const row = await onlyRow(db(), 'consent.granted', async () => {
      expectCallback(await answerConsent(browser, expectPage(consent), 'allow'));
    });
    expect(row).toMatchObject({
      actor_type: 'account',
      actor_id: account.id,
      target_id: account.id,
      ip: '127.0.0.1',
      data: { client_id: CLIENT_ID, scopes: ['openid', 'profile'] },
    });
    // Asked again for what it holds already: the remembered consent answers, nothing is granted anew.
    const again = await rowsAdded(db(), 'consent.granted', async () => {
      await node.services.consents.remember(account.id, CLIENT_ID, {
        scopes: ['openid'],
        claims: [],
        resourceScopes: {},
      });
    });
    expect(again).toHaveLength(0);
  });

  it('is not recorded for a client that is no row of the registry', async () => {
    const account = await newAccount();
    const rows = await rowsAdded(db(), 'consent.granted', () =>
      node.services.consents.remember(account.id, 'no-such-client', {
        scopes: ['openid'],
        claims: [],
        resourceScopes: {},
      }),
    );
    expect(rows).toHaveLength(0);
  });
});

describe('session.ended', () => {
  it('records an RP-initiated logout once, naming the session', async () => {
    const account = await newAccount();
    const { browser, tokens } = await signedIn(account.username);
    const [uid] = await sessionUids(account.id);
    const confirm = expectPage(
      await browser.go(
        oidc
          .buildEndSessionUrl(web, {
            id_token_hint: tokens.id_token!,
            post_logout_redirect_uri: DEMO_WEB.postLogoutRedirectUri,
          })
          .toString(),
      ),
    );
    const row = await onlyRow(db(), 'session.ended', async () => {
      expectCallback(await browser.submit(confirm, '/session/end/confirm', { logout: 'yes' }));
    });
    expect(row).toMatchObject({
      target_type: 'session',
      target_id: uid,
      ip: '127.0.0.1',
      data: { reason: 'logout', account_id: account.id, client_ids: [DEMO_WEB.id] },
    });
    expect(await sessionUids(account.id)).toEqual([]);
  });

  it('records a session signed out on the account API once; signing it out again records nothing', async () => {
    const account = await newAccount();
    await signedIn(account.username);
    const [uid] = await sessionUids(account.id);
    const token = await accessToken(node.issuer, 'openid account', { username: account.username });
    const trace = traced('signout');
    const signOut = () =>
      api(node, 'DELETE', `/api/account/sessions/${encodeURIComponent(uid!)}`, {
        token,
        headers: trace.headers,
      });
    const row = await onlyOnce(db(), 'session.ended', signOut, 204);
    expect(row).toMatchObject({
      actor_type: 'account',
      actor_id: account.id,
      target_type: 'session',
      target_id: uid,
      request_id: trace.id,
      data: { reason: 'signed_out', account_id: account.id },
    });
  });

  it('records the sessions POST /api/logout ends', async () => {
    const account = await newAccount();
    const { tokens } = await signedIn(account.username);
    const [uid] = await sessionUids(account.id);
    const row = await onlyRow(db(), 'session.ended', async () => {
      const res = await fetch(`${node.issuer}/api/logout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      expect(res.status).toBe(204);
    });
    expect(row).toMatchObject({ target_id: uid, data: { reason: 'logout', account_id: account.id } });
  });

  it('records each other session a password change ends, and each session of a disabled account', async () => {
    const account = await newAccount();
    await signedIn(account.username);
    await signedIn(account.username);
    const uids = (await sessionUids(account.id)).sort();
    expect(uids).toHaveLength(2);
    const changed = await rowsAdded(db(), 'session.ended', async () => {
      const result = await node.services.accounts.changePassword(
        account.id,
        TEST_PASSWORD,
        'another long password',
        {
          sessionUid: uids[0],
        },
      );
      expect(result.ok).toBe(true);
    });
    expect(changed.map((row) => [row.target_id, row.data.reason])).toEqual([[uids[1], 'password_changed']]);
    const disabled = await rowsAdded(db(), 'session.ended', () =>
      node.services.accounts.setDisabled(account.id, true),
    );
    expect(disabled.map((row) => [row.target_id, row.data.reason])).toEqual([[uids[0], 'account_revoked']]);
  });

  it('is not recorded for a new sign-in of the same session (its row is replaced, not ended)', async () => {
    const account = await newAccount();
    const { browser } = await signedIn(account.username);
    const rows = await rowsAdded(db(), 'session.ended', async () => {
      const started = await start(browser, web, DEMO_WEB.redirectUri, { prompt: 'login' });
      await signInAndAllow(browser, started, account.username, TEST_PASSWORD);
    });
    expect(rows).toHaveLength(0);
  });
});

describe('token.reuse_detected', () => {
  it('is recorded once when a rotated refresh token comes back, with the client and the revoked grant', async () => {
    const first = await passwordTokens(node.issuer, {
      username: ALICE.username,
      password: ALICE.password,
      scope: 'openid offline_access',
    });
    const refresh = (token: string, headers: Record<string, string> = {}) =>
      tokenRequest(node.issuer, { grant_type: 'refresh_token', refresh_token: token }, undefined, headers);
    const rotated = await refresh(first.refresh_token!);
    expect(rotated.status).toBe(200);
    // The rotation itself is no reuse.
    expect(await auditRows(db(), 'token.reuse_detected')).toHaveLength(0);
    const trace = traced('reuse');
    const row = await onlyRow(db(), 'token.reuse_detected', async () => {
      expect((await refresh(first.refresh_token!, trace.headers)).status).toBe(400);
    });
    const alice = await node.services.accounts.findByUsername(ALICE.username);
    expect(row).toMatchObject({
      target_type: 'account',
      target_id: alice!.id,
      request_id: trace.id,
      data: { client_id: 'demo-cli', grant_id: expect.any(String), grant_revoked: true },
    });
    expect(JSON.stringify(row)).not.toContain(first.refresh_token!);
    // The grant is gone: the successor is refused too, and that is no second detection.
    expect(
      await rowsAdded(db(), 'token.reuse_detected', async () => {
        expect((await refresh(rotated.body.refresh_token as string)).status).toBe(400);
      }),
    ).toHaveLength(0);
  });
});
