/**
 * The account's own changes in the audit trail (issue 18), over real HTTP where a person makes them:
 * user.password_changed (and the other sessions it ends), user.password_reset by link,
 * user.mfa_enrolled / user.mfa_removed (self-service and an administrator's reset), consent.revoked,
 * user.registered (an accepted invitation). Each exactly once per change, with the actor and the
 * request; none for a change that lost its compare-and-set or rolled back; never a secret.
 */
import { ADMIN, TEST_PASSWORD } from '../support/fixtures';
import { startWebhookReceiver, webhookDelivery, type WebhookReceiver } from '../support/receivers';
import { accessToken } from '../support/tokens';
import { codeAt, enrollTotp } from '../support/totp';
import { eventually } from '../support/wait';
import { accessToken as adminToken, api, startApiNode, type ApiNode } from '../api/support';
import { onlyOnce, onlyRow, rowsAdded, traced } from './domain-trail';

let node: ApiNode;
let hook: WebhookReceiver;
let named = 0;

beforeAll(async () => {
  hook = await startWebhookReceiver();
  node = await startApiNode({ ...webhookDelivery(hook), REGISTRATION: 'invite' });
});

afterAll(async () => {
  await node?.stop();
  await hook?.close();
});

const NEW_PASSWORD = 'a new password, long enough';
const db = () => node.services.db;

async function newAccount(prefix = 'audit-acct') {
  named += 1;
  const username = `${prefix}-${named}`;
  const account = await node.services.accounts.create({
    username,
    password: TEST_PASSWORD,
    email: `${username}@example.com`,
  });
  return account;
}

/** What a row the account wrote about itself holds: the actor and target, the request, `data`. */
function bySelf(accountId: string, requestId: string, data: Record<string, unknown>) {
  return { actor_type: 'account', actor_id: accountId, target_id: accountId, request_id: requestId, data };
}

describe('user.password_changed', () => {
  it('is recorded once, by the account, with the request; never the passwords', async () => {
    const account = await newAccount();
    const token = await accessToken(node.issuer, 'openid account', { username: account.username });
    const trace = traced('change');
    const row = await onlyRow(db(), 'user.password_changed', async () => {
      const res = await api(node, 'POST', '/api/account/password', {
        token,
        json: { current_password: TEST_PASSWORD, new_password: NEW_PASSWORD },
        headers: trace.headers,
      });
      expect(res.status).toBe(204);
    });
    expect(row).toMatchObject({
      ...bySelf(account.id, trace.id, {}),
      target_type: 'account',
      ip: '127.0.0.1',
      user_agent: 'audit-test/change',
    });
    const json = JSON.stringify(row);
    expect(json).not.toContain(TEST_PASSWORD);
    expect(json).not.toContain(NEW_PASSWORD);
  });

  it('is not recorded for a wrong current password, nor for the loser of two racing changes', async () => {
    const account = await newAccount();
    const keep = {};
    expect(
      await rowsAdded(db(), 'user.password_changed', () =>
        node.services.accounts.changePassword(account.id, 'not the password', NEW_PASSWORD, keep),
      ),
    ).toHaveLength(0);
    let results: { ok: boolean }[] = [];
    const rows = await rowsAdded(db(), 'user.password_changed', async () => {
      results = await Promise.all([
        node.services.accounts.changePassword(account.id, TEST_PASSWORD, `${NEW_PASSWORD} one`, keep),
        node.services.accounts.changePassword(account.id, TEST_PASSWORD, `${NEW_PASSWORD} two`, keep),
      ]);
    });
    // The compare-and-set on the hash: one change wins, the other finds the password changed.
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(rows).toHaveLength(1);
  });
});

describe('user.password_reset by link', () => {
  async function resetToken(username: string): Promise<string> {
    const res = await api(node, 'POST', '/api/password-reset', { json: { username } });
    expect(res.status).toBe(202);
    return (await hook.forUser(username)).json.token as string;
  }

  it('is recorded once with method link; a second use of the link records nothing', async () => {
    const account = await newAccount();
    const token = await resetToken(account.username);
    const trace = traced('reset');
    const confirm = () =>
      api(node, 'POST', '/api/password-reset/confirm', {
        json: { token, new_password: NEW_PASSWORD },
        headers: trace.headers,
      });
    const row = await onlyOnce(db(), 'user.password_reset', confirm, 204);
    expect(row).toMatchObject(bySelf(account.id, trace.id, { method: 'link' }));
    expect(JSON.stringify(row)).not.toContain(token);
    expect(JSON.stringify(row)).not.toContain(NEW_PASSWORD);
  });

  it('is not recorded when the account was disabled after the link was sent', async () => {
    const account = await newAccount();
    const token = await resetToken(account.username);
    await node.services.accounts.setDisabled(account.id, true);
    const rows = await rowsAdded(db(), 'user.password_reset', () =>
      api(node, 'POST', '/api/password-reset/confirm', { json: { token, new_password: NEW_PASSWORD } }),
    );
    expect(rows).toHaveLength(0);
  });
});

describe('second factors', () => {
  it('records the authenticator app and the recovery codes enrolled and removed, once each', async () => {
    const account = await newAccount('audit-mfa');
    const token = await accessToken(node.issuer, 'openid account', { username: account.username });
    const started = await api(node, 'POST', '/api/account/mfa/totp', { token });
    const secret = (started.body as { secret: string }).secret;
    // Starting is no enrollment.
    const trace = traced('enroll');
    const enrolled = await onlyRow(db(), 'user.mfa_enrolled', async () => {
      const res = await api(node, 'POST', '/api/account/mfa/totp/verify', {
        token,
        json: { code: await codeAt(secret) },
        headers: trace.headers,
      });
      expect(res.status).toBe(200);
    });
    expect(enrolled).toMatchObject(bySelf(account.id, trace.id, { factor: 'totp' }));
    expect(JSON.stringify(enrolled)).not.toContain(secret);

    const regenerated = await onlyRow(db(), 'user.mfa_enrolled', async () => {
      expect((await api(node, 'POST', '/api/account/mfa/recovery-codes', { token })).status).toBe(200);
    });
    expect(regenerated.data).toEqual({ factor: 'recovery_codes' });

    const removed = await rowsAdded(db(), 'user.mfa_removed', async () => {
      const res = await api(node, 'DELETE', '/api/account/mfa/totp', {
        token,
        json: { code: await codeAt(secret, 1) },
      });
      expect(res.status).toBe(204);
    });
    // The recovery codes went with the last factor.
    expect(removed.map((row) => row.data.factor)).toEqual(['totp', 'recovery_codes']);
    expect(removed.every((row) => row.actor_id === account.id && row.target_id === account.id)).toBe(true);
  });

  it("records an administrator's reset as removals by the administrator", async () => {
    const account = await newAccount('audit-mfa');
    await enrollTotp(node.services.mfa, account);
    const admin = await adminToken(node, 'admin', ADMIN.username);
    const adminId = (await node.services.accounts.findByUsername(ADMIN.username))!.id;
    const removed = await rowsAdded(db(), 'user.mfa_removed', async () => {
      const res = await api(node, 'DELETE', `/api/admin/users/${account.id}/mfa`, {
        token: admin,
        unchecked: true,
      });
      expect(res.status).toBeLessThan(300);
    });
    expect(removed.map((row) => row.data.factor).sort()).toEqual(['recovery_codes', 'totp']);
    expect(removed.every((row) => row.target_id === account.id)).toBe(true);
    // The actor is whoever the bearer check named (the admin), never the account itself.
    expect(removed.every((row) => row.actor_id !== account.id)).toBe(true);
    expect(removed.every((row) => row.actor_type === 'account' && row.actor_id === adminId)).toBe(true);
  });
});

describe('consent.revoked', () => {
  it('is recorded once per revoked consent; revoking it again records nothing', async () => {
    const account = await newAccount('audit-consent');
    await node.services.clients.save({
      client_id: 'audit-third-party',
      client_secret: 'audit-third-party-secret',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: ['https://rp.example/cb'],
    });
    await node.services.consents.remember(account.id, 'audit-third-party', {
      scopes: ['openid', 'profile'],
      claims: [],
      resourceScopes: {},
    });
    const token = await accessToken(node.issuer, 'openid account', { username: account.username });
    const revoke = () =>
      api(node, 'DELETE', '/api/account/consents/audit-third-party', {
        token,
        headers: traced('consent').headers,
      });
    const row = await onlyOnce(db(), 'consent.revoked', revoke, 204);
    expect(row).toMatchObject({
      actor_id: account.id,
      target_id: account.id,
      data: { client_id: 'audit-third-party' },
    });
  });
});

describe('user.registered', () => {
  it('is recorded once for an accepted invitation, by the new account, and not for a taken username', async () => {
    const taken = await newAccount('audit-taken');
    const email = `audit-invited-${process.pid}@example.com`;
    await node.links.registration.invite({ email }, { wait: true });
    const link = await eventually(() =>
      hook.deliveries.find((d) => d.json.event === 'invitation.requested' && d.json.email === email),
    );
    const token = link.json.token as string;
    // A taken username rolls the account and its event back; the link stays usable.
    const none = await rowsAdded(db(), 'user.registered', () =>
      node.links.registration
        .acceptInvitation(token, { username: taken.username, password: NEW_PASSWORD })
        .catch(() => undefined),
    );
    expect(none).toHaveLength(0);
    let id = '';
    const row = await onlyRow(db(), 'user.registered', async () => {
      const done = await node.links.registration.acceptInvitation(token, {
        username: `audit-new-${process.pid}`,
        password: NEW_PASSWORD,
      });
      if (!done.ok) throw new Error(done.reason);
      id = done.account.id;
    });
    expect(row).toMatchObject({
      actor_type: 'account',
      actor_id: id,
      target_id: id,
      data: { method: 'invitation' },
    });
    expect(JSON.stringify(row)).not.toContain(NEW_PASSWORD);
  });
});
