/**
 * E-mail verification through the webhook delivery: a changed address (PUT /api/profile, the admin's
 * PATCH /api/admin/users/:id) becomes unverified and gets an `email_verification.requested` event;
 * POST /api/email-verification/confirm with its token verifies that address, and only while it is
 * still the account's.
 */
import type { Account } from '../../src/accounts/store';
import { ADMIN_PATHS, PUBLIC_PATHS, USER_PATHS } from '../../src/api/paths';
import { ADMIN, TEST_PASSWORD } from '../support/fixtures';
import {
  signatureValid,
  startWebhookReceiver,
  webhookDelivery,
  WEBHOOK_SECRET,
  type WebhookReceiver,
} from '../support/receivers';
import { accessToken, api, startApiNode, type ApiNode } from './support';

let hook: WebhookReceiver;
let node: ApiNode;
let admin: string;
let serial = 0;

beforeAll(async () => {
  hook = await startWebhookReceiver();
  node = await startApiNode(webhookDelivery(hook));
  admin = await accessToken(node, 'admin', ADMIN.username);
}, 60000);

afterAll(async () => {
  await node?.stop();
  await hook?.close();
});

async function newAccount(): Promise<{ account: Account; token: string }> {
  serial += 1;
  const username = `verify-${serial}`;
  const account = await node.services.accounts.create({
    username,
    password: TEST_PASSWORD,
    email: `${username}@example.com`,
    emailVerified: true,
  });
  return { account, token: await accessToken(node, 'profile profile:write', username) };
}

const verificationsOf = (username: string) =>
  hook.deliveries.filter(
    (d) => d.json.event === 'email_verification.requested' && d.json.username === username,
  );

const changeEmail = (token: string, email: string) =>
  api(node, 'PUT', USER_PATHS.profile, { token, json: { email } });

const confirm = (token: unknown) =>
  api(node, 'POST', PUBLIC_PATHS.emailVerificationConfirm, { json: { token } });

const emailVerified = async (id: string) => (await node.services.accounts.findById(id))!.emailVerified;

it('PUT /api/profile: a new address is unverified, gets a signed link, and the link verifies it', async () => {
  const { account, token } = await newAccount();
  const changed = await changeEmail(token, 'new.box@example.com');
  expect(changed.status).toBe(200);
  expect(changed.body).toMatchObject({ email: 'new.box@example.com', email_verified: false });

  const event = await hook.forUser(account.username);
  expect(signatureValid(event, WEBHOOK_SECRET)).toBe(true);
  const { token: linkToken, url, expires_at: expiresAt, ...rest } = event.json;
  expect(rest).toEqual({
    event: 'email_verification.requested',
    username: account.username,
    sub: account.id,
    email: 'new.box@example.com',
    phone_number: null,
  });
  expect(url).toBe(`${node.issuer}/account/verify?token=${linkToken}`);
  // EMAIL_VERIFICATION_TTL: a day by default.
  expect(Date.parse(expiresAt!) - Date.now()).toBeGreaterThan(23 * 3600 * 1000);

  const done = await confirm(linkToken);
  expect([done.status, done.body]).toEqual([204, undefined]);
  const profile = await api(node, 'GET', USER_PATHS.profile, { token });
  expect(profile.body).toMatchObject({ email: 'new.box@example.com', email_verified: true });
  // The same link again: the address it proves is verified, so it is done, not an error.
  expect((await confirm(linkToken)).status).toBe(204);
});

it('sends nothing when the address did not change', async () => {
  const { account, token } = await newAccount();
  expect((await api(node, 'PUT', USER_PATHS.profile, { token, json: { given_name: 'Same' } })).status).toBe(
    200,
  );
  expect((await changeEmail(token, account.email!)).status).toBe(200);
  await node.links.emailVerification.settled();
  expect(verificationsOf(account.username)).toEqual([]);
  expect(await emailVerified(account.id)).toBe(true);
});

it('a link for an address that changed again does nothing', async () => {
  const { account, token } = await newAccount();
  await changeEmail(token, 'first.change@example.com');
  const first = (await hook.forUser(account.username, 1)).json.token;
  await changeEmail(token, 'second.change@example.com');
  const second = (await hook.forUser(account.username, 2)).json.token;

  const stale = await confirm(first);
  expect([stale.status, stale.body]).toEqual([
    400,
    {
      error: 'invalid_request',
      error_description: 'the link is invalid, expired or already used',
      details: { token: 'invalid, expired or already used' },
    },
  ]);
  expect(await emailVerified(account.id)).toBe(false);
  // Spent, even though it verified nothing: a second try is refused the same way.
  expect((await confirm(first)).status).toBe(400);

  expect((await confirm(second)).status).toBe(204);
  expect(await node.services.accounts.findById(account.id)).toMatchObject({
    email: 'second.change@example.com',
    emailVerified: true,
  });
});

it('spends a link once when two confirmations race: one verifies, the other finds it done', async () => {
  const { account, token } = await newAccount();
  await changeEmail(token, 'raced.box@example.com');
  const link = (await hook.forUser(account.username)).json.token;
  const outcomes = await Promise.all(
    Array.from({ length: 5 }, () => node.links.emailVerification.verify(link)),
  );
  expect(outcomes.map((o) => o.status).sort()).toEqual([
    'already',
    'already',
    'already',
    'already',
    'verified',
  ]);
  expect(await emailVerified(account.id)).toBe(true);
});

it('refuses a made-up token and a body without one', async () => {
  expect((await confirm('y'.repeat(43))).body).toMatchObject({ details: { token: expect.any(String) } });
  const missing = await api(node, 'POST', PUBLIC_PATHS.emailVerificationConfirm, { json: {} });
  expect([missing.status, (missing.body as { details: object }).details]).toEqual([
    400,
    { token: 'required' },
  ]);
});

describe('PATCH /api/admin/users/:id', () => {
  const updateUser = (id: string, json: Record<string, unknown>) =>
    api(node, 'PATCH', ADMIN_PATHS.user.replace(':id', id), { token: admin, json });

  it('a changed address is unverified and gets a link', async () => {
    const { account } = await newAccount();
    const res = await updateUser(account.id, { email: 'by.admin@example.com' });
    expect(res.body).toMatchObject({ email: 'by.admin@example.com', email_verified: false });
    const event = await hook.forUser(account.username);
    expect(event.json).toMatchObject({
      event: 'email_verification.requested',
      email: 'by.admin@example.com',
    });
    expect((await confirm(event.json.token)).status).toBe(204);
    expect(await emailVerified(account.id)).toBe(true);
  });

  it('an administrator who marks the new address verified is obeyed: no link', async () => {
    const { account } = await newAccount();
    const res = await updateUser(account.id, { email: 'trusted@example.com', email_verified: true });
    expect(res.body).toMatchObject({ email: 'trusted@example.com', email_verified: true });
    await node.links.emailVerification.settled();
    expect(verificationsOf(account.username)).toEqual([]);
  });
});
