/**
 * /admin/users over HTTP with the page browser: the list, its search by username prefix and its
 * pages; a user's page; disabling a user from the console (their tokens stop working at once and
 * they cannot sign in; the audit trail names the administrator), enabling them again; and the
 * refusals: no form token, another site, the administrator's own account, ids that name nobody.
 */
import { ADMIN, TEST_PASSWORD } from '../support/fixtures';
import { Browser, expectPage, formsOf, textOf, type Page } from '../support/browser';
import { isActive } from '../support/http';
import { startTestServer, type TestServer } from '../support/server';
import { passwordTokens } from '../support/tokens';

let node: TestServer;
let admin: Browser;

beforeAll(async () => {
  node = await startTestServer();
  admin = new Browser();
  const login = expectPage(await admin.go(`${node.issuer}/admin`));
  const dashboard = expectPage(
    await admin.submit(login, '/login', { username: ADMIN.username, password: ADMIN.password }),
  );
  expect(dashboard.status).toBe(200);
});

afterAll(async () => {
  await node?.stop();
});

const usersUrl = (query = '') => `${node.issuer}/admin/users${query}`;
const rowsOf = (page: Page) =>
  [...page.html.matchAll(/<td><a href="[^"]+">([^<]+)<\/a><\/td>/g)].map((m) => m[1]);

let named = 0;
async function newUser(prefix = 'console-user') {
  named += 1;
  return node.services.accounts.create({ username: `${prefix}-${named}`, password: TEST_PASSWORD });
}

describe('the list', () => {
  it('lists users, searches by username prefix, and pages by 50', async () => {
    for (let i = 0; i < 52; i += 1) await newUser('paged');
    const first = expectPage(await admin.go(usersUrl('?q=paged')));
    expect(first.status).toBe(200);
    const firstRows = rowsOf(first);
    expect(firstRows).toHaveLength(50);
    expect(firstRows.every((name) => name!.startsWith('paged-'))).toBe(true);
    const next = /href="(\/admin\/users\?q=paged&amp;after=[^"]+)"/
      .exec(first.html)?.[1]
      ?.replace(/&amp;/g, '&');
    expect(next).toBeDefined();
    const second = expectPage(await admin.go(`${node.issuer}${next}`));
    const secondRows = rowsOf(second);
    expect(secondRows).toHaveLength(2);
    expect(new Set([...firstRows, ...secondRows]).size).toBe(52);
    expect(second.html).not.toMatch(/after=/);
    const all = expectPage(await admin.go(usersUrl()));
    expect(rowsOf(all)).toEqual(expect.arrayContaining(['admin', 'alice']));
  });

  it('answers junk in the query with the list, never a 5xx', async () => {
    for (const query of ['?q=%00', `?q=${'x'.repeat(5000)}`, '?after=%ff%fe', '?q[]=a&q[]=b']) {
      const page = expectPage(await admin.go(usersUrl(query)));
      expect([query, page.status]).toEqual([query, 200]);
    }
  });
});

describe('a user', () => {
  async function userPage(username: string): Promise<Page> {
    const list = expectPage(await admin.go(usersUrl(`?q=${encodeURIComponent(username)}`)));
    const href = new RegExp(`<td><a href="([^"]+)">${username}</a>`).exec(list.html)?.[1];
    expect(href).toBeDefined();
    return expectPage(await admin.go(`${node.issuer}${href}`));
  }

  it('disabled from the console: their tokens stop working, they cannot sign in; enabled again', async () => {
    const user = await newUser();
    const tokens = await passwordTokens(node.issuer, {
      scope: 'openid',
      username: user.username,
      password: TEST_PASSWORD,
    });
    expect(await isActive(node.issuer, tokens.access_token)).toBe(true);
    const page = await userPage(user.username);
    expect(textOf(page)).toContain('Active');
    const disabled = expectPage(await admin.submit(page, '/disable'));
    expect([disabled.status, textOf(disabled)]).toEqual([
      200,
      expect.stringContaining('The user is disabled'),
    ]);
    expect(await isActive(node.issuer, tokens.access_token)).toBe(false);
    await expect(node.services.accounts.findById(user.id)).resolves.toMatchObject({ disabled: true });
    const trail = await node.services.db('audit_events').where({ type: 'user.disabled', target_id: user.id });
    expect(trail.map((row: { actor_id: string }) => row.actor_id)).toEqual([ADMIN.id]);
    const enabled = expectPage(await admin.submit(disabled, '/enable'));
    expect(textOf(enabled)).toContain('The user is enabled again.');
    await expect(node.services.accounts.findById(user.id)).resolves.toMatchObject({ disabled: false });
  });

  it('refuses a post without the form token, or from another site, and changes nothing', async () => {
    const user = await newUser();
    const page = await userPage(user.username);
    const form = formsOf(page).find((f) => f.action.endsWith('/disable'))!;
    const noToken = expectPage(await admin.go(form.action, { method: 'POST', form: {} }));
    expect(noToken.status).toBe(403);
    const foreign = expectPage(await admin.submit(form, {}, { 'sec-fetch-site': 'cross-site' }));
    expect(foreign.status).toBe(403);
    await expect(node.services.accounts.findById(user.id)).resolves.toMatchObject({ disabled: false });
  });

  it('does not let an administrator disable their own account from the console', async () => {
    const page = await userPage(ADMIN.username);
    expect(formsOf(page).some((f) => f.action.endsWith('/disable'))).toBe(false);
    const token = formsOf(page).find((f) => f.action.endsWith('/admin/sign-out'))!.fields;
    const refused = expectPage(
      await admin.go(`${node.issuer}/admin/users/${ADMIN.id}/disable`, { method: 'POST', form: token }),
    );
    expect(refused.status).toBe(409);
    await expect(node.services.accounts.findById(ADMIN.id)).resolves.toMatchObject({ disabled: false });
  });

  it('answers ids that name nobody with a 404 page', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'junk', '%00', 'x'.repeat(300)]) {
      const page = expectPage(await admin.go(`${node.issuer}/admin/users/${id}`));
      expect([id, page.status]).toEqual([id, 404]);
    }
  });

  it('sends a signed-out browser to the sign-in, and changes nothing for its post', async () => {
    const user = await newUser();
    const stranger = new Browser();
    const res = await stranger.request(`${node.issuer}/admin/users`);
    expect(res.status).toBe(303);
    const post = await stranger.request(`${node.issuer}/admin/users/${user.id}/disable`, {
      method: 'POST',
      form: {},
    });
    expect([post.status, post.headers.get('location')]).toEqual([303, '/admin']);
    await expect(node.services.accounts.findById(user.id)).resolves.toMatchObject({ disabled: false });
  });
});
