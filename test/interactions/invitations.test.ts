/**
 * Invitations (REGISTRATION=invite) end to end: `POST /api/admin/invitations` (checked against the
 * OpenAPI document), the webhook's invitation.requested with the link, the form the link opens, the
 * account it creates (the invited address, verified; the invitation's roles), a taken username that
 * leaves the link usable, single use, and the refusals: unknown roles, bad addresses, REGISTRATION=off.
 */
import { ADMIN } from '../support/fixtures';
import { Browser, expectPage, formsOf, textOf, type Page } from '../support/browser';
import { startWebhookReceiver, webhookDelivery, type WebhookReceiver } from '../support/receivers';
import { eventually } from '../support/wait';
import { accessToken, api, startApiNode, type ApiNode } from '../api/support';

let hook: WebhookReceiver;
let node: ApiNode;
let admin: string;

beforeAll(async () => {
  hook = await startWebhookReceiver();
  node = await startApiNode({
    REGISTRATION: 'invite',
    RATE_LIMIT_REGISTRATION: '1000/3600',
    ...webhookDelivery(hook),
  });
  admin = await accessToken(node, 'admin', ADMIN.username);
  await node.services.roles.create('staff');
}, 60000);

afterAll(async () => {
  await node?.stop();
  await hook?.close();
});

const invitationFor = (email: string) =>
  eventually(() =>
    hook.deliveries.find((d) => d.json.event === 'invitation.requested' && d.json.email === email),
  );

async function invite(email: string, roles?: string[]) {
  const res = await api(node, 'POST', '/api/admin/invitations', {
    token: admin,
    json: roles ? { email, roles } : { email },
  });
  expect(res.status).toBe(201);
  return { body: res.body, event: (await invitationFor(email)).json };
}

async function openInvitation(url: string): Promise<{ browser: Browser; page: Page }> {
  const browser = new Browser();
  return { browser, page: expectPage(await browser.go(url)) };
}

describe('an invitation', () => {
  it('is sent as a link; the form it opens creates the account with the invited address and roles', async () => {
    const { body, event } = await invite('dana@example.com', ['staff']);
    expect(body).toEqual({ email: 'dana@example.com', roles: ['staff'], expires_at: expect.any(String) });
    expect(JSON.stringify(body)).not.toContain(event.token);
    expect(event).toEqual({
      event: 'invitation.requested',
      username: null,
      sub: null,
      email: 'dana@example.com',
      phone_number: null,
      url: `${node.issuer}/account/invitation?token=${event.token}`,
      token: expect.stringMatching(/^[\w-]{43}$/),
      expires_at: (body as { expires_at: string }).expires_at,
    });
    // INVITATION_TTL: seven days.
    expect(Date.parse(event.expires_at!) - Date.now()).toBeGreaterThan(7 * 86400_000 - 60_000);

    const { browser, page } = await openInvitation(event.url!);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(textOf(page)).toContain('You are invited to create an account for dana@example.com.');
    const done = expectPage(
      await browser.submit(page, '/account/invitation', { username: 'dana', password: 'dana-secret-1' }),
    );
    expect(done.status).toBe(200);
    expect(textOf(done)).toContain('Your account is ready');
    expect(await node.services.accounts.findByUsername('dana')).toMatchObject({
      email: 'dana@example.com',
      emailVerified: true,
      roles: ['staff'],
    });
    expect(await node.services.accounts.authenticate('dana', 'dana-secret-1')).toMatchObject({ ok: true });

    // Once only: the link and a second post of the same form.
    expect((await openInvitation(event.url!)).page.status).toBe(404);
    const resubmitted = expectPage(
      await browser.submit(page, '/account/invitation', { username: 'dana2', password: 'dana-secret-1' }),
    );
    expect([resubmitted.status, textOf(resubmitted)]).toEqual([
      404,
      expect.stringContaining('This link does not work'),
    ]);
    expect(await node.services.accounts.findByUsername('dana2')).toBeNull();
  });

  it('shows a taken username on the form (409) and leaves the link usable', async () => {
    const { event } = await invite('erin@example.com');
    const { browser, page } = await openInvitation(event.url!);
    const taken = expectPage(
      await browser.submit(page, '/account/invitation', { username: 'Alice', password: 'erin-secret-1' }),
    );
    expect(taken.status).toBe(409);
    expect(taken.html).toMatch(
      /<p class="field-error" id="username-error">This username is taken. Choose another one.<\/p>/,
    );
    expect(taken.html).toMatch(/<input id="username" name="username" type="text" value="Alice"/);
    const bad = expectPage(
      await browser.submit(taken, '/account/invitation', { username: 'erin', password: 'short' }),
    );
    expect(bad.status).toBe(400);
    expect(bad.html).toMatch(/id="password-error">The password needs at least 8 characters./);
    const done = expectPage(
      await browser.submit(bad, '/account/invitation', { username: 'erin', password: 'erin-secret-1' }),
    );
    expect(done.status).toBe(200);
    expect(await node.services.accounts.findByUsername('erin')).toMatchObject({
      email: 'erin@example.com',
      roles: [],
    });
  });

  it('creates one account when its form is sent twice at the same time', async () => {
    const { event } = await invite('fay@example.com');
    const { page } = await openInvitation(event.url!);
    const [form] = formsOf(page);
    const post = (username: string) =>
      fetch(form!.action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...form!.fields, username, password: 'fay-secret-12' }),
      });
    const answers = await Promise.all([post('fay1'), post('fay2')]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 404]);
    const rows = await node.services.db('accounts').whereRaw('lower(email) = ?', ['fay@example.com']);
    expect(rows).toHaveLength(1);
  });

  it('needs a live link: none, an unknown one', async () => {
    for (const path of ['/account/invitation', '/account/invitation?token=unknown']) {
      const { page } = await openInvitation(`${node.issuer}${path}`);
      expect([page.status, formsOf(page)]).toEqual([404, []]);
    }
  });
});

describe('POST /api/admin/invitations refuses', () => {
  it('unknown roles and bad addresses with 400 naming the field, and sends nothing', async () => {
    const before = hook.deliveries.length;
    const unknownRole = await api(node, 'POST', '/api/admin/invitations', {
      token: admin,
      json: { email: 'gil@example.com', roles: ['staff', 'no-such-role'] },
    });
    expect(unknownRole.status).toBe(400);
    expect(unknownRole.body).toMatchObject({ details: { roles: 'unknown role: no-such-role' } });
    const badEmail = await api(node, 'POST', '/api/admin/invitations', {
      token: admin,
      json: { email: 'gil' },
    });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body).toMatchObject({ details: { email: 'must be an email address' } });
    const extra = await api(node, 'POST', '/api/admin/invitations', {
      token: admin,
      json: { email: 'gil@example.com', password: 'x' },
    });
    expect(extra.status).toBe(400);
    expect(hook.deliveries.length).toBe(before);
  });

  it('callers without the admin scope', async () => {
    const token = await accessToken(node, 'openid profile', ADMIN.username);
    const res = await api(node, 'POST', '/api/admin/invitations', {
      token,
      json: { email: 'hal@example.com' },
    });
    expect(res.status).toBe(403);
  });
});

describe('REGISTRATION=off', () => {
  let off: ApiNode;
  let offHook: WebhookReceiver;

  beforeAll(async () => {
    offHook = await startWebhookReceiver();
    off = await startApiNode(webhookDelivery(offHook));
  }, 60000);

  afterAll(async () => {
    await off?.stop();
    await offHook?.close();
  });

  it('refuses invitations with 409', async () => {
    const token = await accessToken(off, 'admin', ADMIN.username);
    const res = await api(off, 'POST', '/api/admin/invitations', {
      token,
      json: { email: 'ivy@example.com' },
    });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      error: 'conflict',
      error_description: 'invitations are off (REGISTRATION=off)',
    });
    expect(offHook.deliveries).toEqual([]);
  });
});
