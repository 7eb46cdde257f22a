/**
 * GET and DELETE /api/account/sessions through real HTTP: two browsers (two cookie jars, two
 * User-Agents) sign one person in through the authorization code flow; the list shows both, marks
 * the one the caller's token came from, and signing one out ends that browser's session and its
 * grant's tokens while the other stays. Every answer is checked against the OpenAPI document.
 */
import { TEST_PASSWORD } from '../support/fixtures';
import { isActive } from '../support/http';
import type { oidc } from '../support/rp';
import { passwordTokens } from '../support/tokens';
import { newAccount, registerAccountApp, signInWithBrowser, silentSignIn } from './account-devices';
import { api, startApiNode, type ApiNode } from './support';

let node: ApiNode;
let app: oidc.Configuration;

beforeAll(async () => {
  node = await startApiNode();
  app = await registerAccountApp(node);
});

afterAll(async () => {
  await node?.stop();
});

interface SessionAnswer {
  id: string;
  created_at: string;
  last_seen_at: string;
  user_agent: string | null;
  client_ids: string[];
  current: boolean;
}

async function listSessions(token: string): Promise<SessionAnswer[]> {
  const res = await api(node, 'GET', '/api/account/sessions', { token });
  expect(res.status).toBe(200);
  return res.body as SessionAnswer[];
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function twoBrowsers() {
  const account = await newAccount(node, 'sessions');
  const one = await signInWithBrowser(app, { username: account.username, userAgent: 'BrowserOne/1.0' });
  const two = await signInWithBrowser(app, { username: account.username, userAgent: 'BrowserTwo/2.0' });
  return { account, one, two };
}

describe('GET /api/account/sessions', () => {
  it('lists both browsers with their user agents, and which one the token came from', async () => {
    const started = Date.now();
    const { one, two } = await twoBrowsers();
    const seenByOne = await listSessions(one.accessToken);
    expect(seenByOne).toHaveLength(2);
    expect(seenByOne.map((s) => s.user_agent).sort()).toEqual(['BrowserOne/1.0', 'BrowserTwo/2.0']);
    // The second browser signed in last: seen last, listed first.
    expect(seenByOne[0]!.user_agent).toBe('BrowserTwo/2.0');
    for (const session of seenByOne) {
      expect(session.id).toMatch(/^[\w-]{10,}$/);
      expect(session.created_at).toMatch(ISO);
      expect(session.last_seen_at).toMatch(ISO);
      expect(Date.parse(session.created_at)).toBeGreaterThanOrEqual(started - 1000);
      expect(session.client_ids).toEqual(['test-account-app']);
    }
    expect(seenByOne.filter((s) => s.current).map((s) => s.user_agent)).toEqual(['BrowserOne/1.0']);
    const seenByTwo = await listSessions(two.accessToken);
    expect(seenByTwo.filter((s) => s.current).map((s) => s.user_agent)).toEqual(['BrowserTwo/2.0']);
    expect(seenByTwo.map((s) => s.id).sort()).toEqual(seenByOne.map((s) => s.id).sort());
    // The session id is not the session cookie's value.
    const cookies = one.browser.cookies().map((c) => c.value);
    for (const session of seenByOne) expect(cookies).not.toContain(session.id);
  });

  it('marks no session current for a token from the password grant', async () => {
    const { account } = await twoBrowsers();
    const { access_token: token } = await passwordTokens(node.issuer, {
      username: account.username,
      password: TEST_PASSWORD,
      scope: 'openid account',
    });
    const sessions = await listSessions(token);
    expect(sessions).toHaveLength(2);
    expect(sessions.some((s) => s.current)).toBe(false);
  });

  it("shows nothing of another account's sessions", async () => {
    await twoBrowsers();
    const other = await newAccount(node, 'sessions');
    const { access_token: token } = await passwordTokens(node.issuer, {
      username: other.username,
      password: TEST_PASSWORD,
      scope: 'openid account',
    });
    expect(await listSessions(token)).toEqual([]);
  });
});

describe('DELETE /api/account/sessions/:id', () => {
  it("signs that browser out and revokes its grant's tokens; the other stays", async () => {
    const { one, two } = await twoBrowsers();
    const before = await listSessions(one.accessToken);
    const target = before.find((s) => s.user_agent === 'BrowserTwo/2.0')!;

    const res = await api(node, 'DELETE', `/api/account/sessions/${target.id}`, { token: one.accessToken });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();

    expect(await silentSignIn(two.browser, app)).toBe('login_required');
    expect(await isActive(node.issuer, two.accessToken)).toBe(false);
    expect((await api(node, 'GET', '/api/account', { token: two.accessToken })).status).toBe(401);

    expect(await silentSignIn(one.browser, app)).toBe('code');
    expect(await isActive(node.issuer, one.accessToken)).toBe(true);
    expect((await listSessions(one.accessToken)).map((s) => s.user_agent)).toEqual(['BrowserOne/1.0']);

    const again = await api(node, 'DELETE', `/api/account/sessions/${target.id}`, { token: one.accessToken });
    expect(again).toMatchObject({
      status: 404,
      body: { error: 'not_found', error_description: 'no such session' },
    });
  });

  it("answers 404 for another account's session, and leaves it signed in", async () => {
    const { one } = await twoBrowsers();
    const stranger = await twoBrowsers();
    const theirs = await listSessions(stranger.one.accessToken);
    for (const session of theirs) {
      const res = await api(node, 'DELETE', `/api/account/sessions/${session.id}`, {
        token: one.accessToken,
      });
      expect(res).toMatchObject({ status: 404, body: { error: 'not_found' } });
    }
    expect(await listSessions(stranger.one.accessToken)).toHaveLength(2);
    expect(await silentSignIn(stranger.two.browser, app)).toBe('code');
  });

  it('answers junk ids with 400 or 404, never a 5xx', async () => {
    const { one } = await twoBrowsers();
    for (const junk of [
      'nope',
      'x'.repeat(300),
      '%00',
      '%C0%80',
      '%F0%9F%98%80',
      "'%20or%201=1",
      '..%2F..',
    ]) {
      const res = await api(node, 'DELETE', `/api/account/sessions/${junk}`, { token: one.accessToken });
      expect([400, 404]).toContain(res.status);
    }
    expect(await listSessions(one.accessToken)).toHaveLength(2);
  });

  it('needs the account scope', async () => {
    const { account, one } = await twoBrowsers();
    const [session] = await listSessions(one.accessToken);
    const { access_token: token } = await passwordTokens(node.issuer, {
      username: account.username,
      password: TEST_PASSWORD,
      scope: 'openid profile',
    });
    expect((await api(node, 'GET', '/api/account/sessions', { token })).status).toBe(403);
    expect((await api(node, 'DELETE', `/api/account/sessions/${session!.id}`, { token })).status).toBe(403);
    expect(await listSessions(one.accessToken)).toHaveLength(2);
  });
});
