/**
 * `gatehouse user invite` through the real CLI (dist/, compiled by the global setup) with the
 * webhook delivery: the text and --json output, the link the webhook receives (which a node on the
 * same database then accepts), and the exit codes of bad usage, unknown roles, a failed delivery and
 * REGISTRATION=off.
 */
import { Browser, expectPage } from '../support/browser';
import { createCliDatabase, expectOneLineError, type CliDatabase } from '../support/cli';
import { startWebhookReceiver, webhookDelivery, type WebhookReceiver } from '../support/receivers';
import { startTestServer } from '../support/server';
import { eventually } from '../support/wait';

let hook: WebhookReceiver;
let cli: CliDatabase;

beforeAll(async () => {
  hook = await startWebhookReceiver();
  cli = await createCliDatabase({ REGISTRATION: 'invite', ...webhookDelivery(hook) });
  expect((await cli.run(['role', 'create', 'staff'])).code).toBe(0);
}, 120000);

afterAll(async () => {
  await cli?.drop();
  await hook?.close();
});

const invitationFor = (email: string) =>
  eventually(() =>
    hook.deliveries.find((d) => d.json.event === 'invitation.requested' && d.json.email === email),
  );

describe('gatehouse user invite', () => {
  it('sends the link, prints the invitation without it, and a node accepts the link', async () => {
    const result = await cli.run(['user', 'invite', 'dana@example.com', '--role', 'staff']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^invited:\s+dana@example\.com\nroles:\s+staff\nexpires:\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\ndelivery: webhook\n$/,
    );
    // Delivered before the command exited: it waits for the webhook.
    const event = hook.deliveries.find((d) => d.json.email === 'dana@example.com')!.json;
    expect(event).toMatchObject({
      event: 'invitation.requested',
      url: `http://127.0.0.1:${cli.port}/account/invitation?token=${event.token}`,
    });
    expect(result.stdout).not.toContain(event.token);

    // A node on the same database and address: the link opens the form, and the form the account.
    const node = await startTestServer({ database: cli.database, port: cli.port, env: cli.env });
    try {
      const browser = new Browser();
      const page = expectPage(await browser.go(event.url!));
      expect(page.status).toBe(200);
      const done = expectPage(
        await browser.submit(page, '/account/invitation', { username: 'dana', password: 'dana-secret-1' }),
      );
      expect(done.status).toBe(200);
      expect(await node.services.accounts.findByUsername('dana')).toMatchObject({
        email: 'dana@example.com',
        emailVerified: true,
        roles: ['staff'],
      });
    } finally {
      await node.close();
    }
  }, 120000);

  it('--json prints the address, the roles and the expiry', async () => {
    const json = await cli.json<Record<string, unknown>>(['user', 'invite', 'erin@example.com']);
    expect(json).toEqual({ email: 'erin@example.com', roles: [], expires_at: expect.any(String) });
    // INVITATION_TTL: seven days by default.
    expect(Date.parse(json.expires_at as string) - Date.now()).toBeGreaterThan(7 * 86400_000 - 120_000);
    expect((await invitationFor('erin@example.com')).json.token).not.toBe(undefined);
  });

  it('exits 2 for a bad address or role name, 1 for an unknown role, and sends nothing', async () => {
    const before = hook.deliveries.length;
    expectOneLineError(await cli.run(['user', 'invite', 'not-an-address']), 2, /EMAIL: not an email address/);
    expectOneLineError(
      await cli.run(['user', 'invite', 'a@b.example', '--role', 'Bad Role']),
      2,
      /not a role name/,
    );
    expectOneLineError(await cli.run(['user', 'invite', 'a@b.example', '--role', 'nope']), 1, /no role nope/);
    expect(hook.deliveries.length).toBe(before);
  });

  it('exits 1 when the delivery fails', async () => {
    // The webhook delivery tries three times.
    hook.respond.push(500, 500, 500);
    const result = await cli.run(['user', 'invite', 'fay@example.com']);
    expectOneLineError(result, 1, /the invitation could not be delivered: webhook answered 500/);
  });

  it('exits 1 while REGISTRATION=off', async () => {
    const result = await cli.run(['user', 'invite', 'gil@example.com'], { env: { REGISTRATION: 'off' } });
    expectOneLineError(result, 1, /invitations are off: set REGISTRATION=invite/);
    expect(hook.deliveries.some((d) => d.json.email === 'gil@example.com')).toBe(false);
  });
});
