/**
 * Administrative changes made through the admin API are in the audit trail: exactly one event per
 * change, in the change's transaction (a refused change records nothing), naming the admin's
 * account as the actor, the source address, user agent and request id, and the fields changed;
 * never a password, a secret or a key.
 */
import type { Database } from '../../src/db/database';
import { accessToken, api, startAdminApiNode, type ApiNode } from '../api/support';
import { ADMIN, ALICE } from '../support/fixtures';
import { auditRows, auditRowsWhere } from './domain-trail';

let node: ApiNode;
let admin: string;
let adminId: string;
let db: Database;

beforeAll(async () => {
  ({ node, admin } = await startAdminApiNode());
  db = node.services.db;
  adminId = (await node.services.accounts.findByUsername(ADMIN.username))!.id;
});

afterAll(() => node?.stop());

const eventsOf = (targetId: string) => auditRowsWhere(db, { target_id: targetId });

/** Everything the trail holds, as text: to prove a secret is nowhere in it. */
async function wholeTrail(): Promise<string> {
  return JSON.stringify(await db('audit_events').select('*'));
}

const asAdmin = () => ({ type: 'account', id: adminId });

describe('users', () => {
  it('records each change once with the admin as actor, the request and the fields changed', async () => {
    const created = await api(node, 'POST', '/api/admin/users', {
      token: admin,
      json: { username: 'audited', password: 'first-Password-1', email: 'a@example.com', roles: [] },
      headers: { 'x-request-id': 'req-create-1', 'user-agent': 'audit-test/1.0' },
    });
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    let events = await eventsOf(id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'user.created',
      actor_type: 'account',
      actor_id: adminId,
      target_type: 'account',
      target_id: id,
      request_id: 'req-create-1',
      user_agent: 'audit-test/1.0',
      data: { username: 'audited', roles: [] },
    });
    expect(events[0]!.ip).toMatch(/127\.0\.0\.1|::1/);

    expect(
      (await api(node, 'PATCH', `/api/admin/users/${id}`, { token: admin, json: { given_name: 'Ada' } }))
        .status,
    ).toBe(200);
    // The same value again changes nothing: no event.
    await api(node, 'PATCH', `/api/admin/users/${id}`, { token: admin, json: { given_name: 'Ada' } });
    expect(
      (await api(node, 'PUT', `/api/admin/users/${id}/roles`, { token: admin, json: { roles: ['admin'] } }))
        .status,
    ).toBe(200);
    await api(node, 'PUT', `/api/admin/users/${id}/roles`, { token: admin, json: { roles: [] } });
    expect(
      (
        await api(node, 'POST', `/api/admin/users/${id}/password`, {
          token: admin,
          json: { password: 'second-Password-2' },
        })
      ).status,
    ).toBe(204);
    expect((await api(node, 'POST', `/api/admin/users/${id}/disable`, { token: admin })).status).toBe(200);
    // Disabled already: nothing changes, nothing is recorded.
    await api(node, 'POST', `/api/admin/users/${id}/disable`, { token: admin });
    expect((await api(node, 'POST', `/api/admin/users/${id}/enable`, { token: admin })).status).toBe(200);
    expect((await api(node, 'DELETE', `/api/admin/users/${id}`, { token: admin })).status).toBe(204);

    events = await eventsOf(id);
    expect(events.map(({ type, data }) => ({ type, data }))).toEqual([
      { type: 'user.created', data: { username: 'audited', roles: [] } },
      { type: 'user.updated', data: { fields: ['given_name'] } },
      { type: 'user.roles_changed', data: { added: ['admin'], removed: [] } },
      { type: 'user.roles_changed', data: { added: [], removed: ['admin'] } },
      { type: 'user.password_reset', data: { method: 'admin' } },
      { type: 'user.disabled', data: {} },
      { type: 'user.enabled', data: {} },
      { type: 'user.deleted', data: { username: 'audited' } },
    ]);
    for (const event of events) expect({ type: event.actor_type, id: event.actor_id }).toEqual(asAdmin());
    const trail = await wholeTrail();
    expect(trail).not.toContain('first-Password-1');
    expect(trail).not.toContain('second-Password-2');
    expect(trail).not.toContain('$2');
  });

  it('names the account itself as the actor of its own profile change', async () => {
    const alice = (await node.services.accounts.findByUsername(ALICE.username))!;
    const token = await accessToken(node, 'profile:write', ALICE.username);
    const res = await api(node, 'PUT', '/api/profile', { token, json: { locale: 'fr-CA' } });
    expect(res.status).toBe(200);
    // Only the change's event: the sign-in that got the token has its own (user.signed_in).
    const events = (await eventsOf(alice.id)).filter((e) => e.type === 'user.updated');
    expect(
      events.map(({ type, actor_type, actor_id, data }) => ({ type, actor_type, actor_id, data })),
    ).toEqual([
      { type: 'user.updated', actor_type: 'account', actor_id: alice.id, data: { fields: ['locale'] } },
    ]);
  });

  it('records nothing for a refused change (a taken username)', async () => {
    const first = await api(node, 'POST', '/api/admin/users', {
      token: admin,
      json: { username: 'twice', password: 'first-Password-1' },
    });
    expect(first.status).toBe(201);
    const before = await db('audit_events').where('type', 'user.created').count({ n: '*' }).first();
    const again = await api(node, 'POST', '/api/admin/users', {
      token: admin,
      json: { username: 'twice', password: 'first-Password-1' },
    });
    expect(again.status).toBe(409);
    const after = await db('audit_events').where('type', 'user.created').count({ n: '*' }).first();
    expect(Number(after!.n)).toBe(Number(before!.n));
    const named = await db('audit_events')
      .where('type', 'user.created')
      .whereRaw("data->>'username' = ?", ['twice']);
    expect(named).toHaveLength(1);
  });
});

describe('clients, service keys, APIs and roles', () => {
  it('records a client created, updated, its secret rotated and deleted, never the secret', async () => {
    const created = await api(node, 'POST', '/api/admin/clients', {
      token: admin,
      json: { client_id: 'audited-client', client_name: 'Audited', grant_types: ['client_credentials'] },
    });
    expect(created.status).toBe(201);
    const secret = (created.body as { client_secret: string }).client_secret;
    // A second registration of the id is refused and records nothing.
    const taken = await api(node, 'POST', '/api/admin/clients', {
      token: admin,
      json: { client_id: 'audited-client', client_name: 'Again', grant_types: ['client_credentials'] },
    });
    expect(taken.status).toBe(409);
    expect(
      (
        await api(node, 'PATCH', '/api/admin/clients/audited-client', {
          token: admin,
          json: { client_name: 'Audited 2' },
        })
      ).status,
    ).toBe(200);
    const rotated = await api(node, 'POST', '/api/admin/clients/audited-client/secret', { token: admin });
    expect(rotated.status).toBe(200);
    const newSecret = (rotated.body as { client_secret: string }).client_secret;
    const key = await api(node, 'POST', '/api/admin/clients/audited-client/service-keys', { token: admin });
    expect(key.status).toBe(201);
    const {
      service_key: { id: keyId },
      key: keyValue,
    } = key.body as { service_key: { id: string }; key: string };
    expect(
      (await api(node, 'DELETE', `/api/admin/clients/audited-client/service-keys/${keyId}`, { token: admin }))
        .status,
    ).toBe(204);
    expect((await api(node, 'DELETE', '/api/admin/clients/audited-client', { token: admin })).status).toBe(
      204,
    );

    const client = await eventsOf('audited-client');
    expect(client.map(({ type, data }) => ({ type, data }))).toEqual([
      { type: 'client.created', data: {} },
      { type: 'client.updated', data: { fields: ['client_name'] } },
      { type: 'client.secret_rotated', data: {} },
      { type: 'client.deleted', data: {} },
    ]);
    const keyEvents = await eventsOf(keyId);
    expect(keyEvents.map((e) => e.type)).toEqual(['service_key.created', 'service_key.revoked']);
    expect(keyEvents[0]!.data).toEqual({ client_id: 'audited-client', prefix: keyValue.slice(0, 12) });
    for (const event of [...client, ...keyEvents])
      expect({ type: event.actor_type, id: event.actor_id }).toEqual(asAdmin());
    const trail = await wholeTrail();
    for (const value of [secret, newSecret, keyValue]) expect(trail).not.toContain(value);
  });

  it('records APIs and roles created, changed and deleted', async () => {
    const identifier = 'https://audited.example.com';
    const path = `/api/admin/apis/${encodeURIComponent(identifier)}`;
    expect(
      (
        await api(node, 'POST', '/api/admin/apis', {
          token: admin,
          json: { identifier, scopes: ['read'] },
        })
      ).status,
    ).toBe(201);
    expect(
      (await api(node, 'PUT', path, { token: admin, json: { scopes: ['read', 'write'], name: 'Audited' } }))
        .status,
    ).toBe(200);
    expect((await api(node, 'DELETE', path, { token: admin })).status).toBe(204);
    expect((await eventsOf(identifier)).map(({ type, data }) => ({ type, data }))).toEqual([
      { type: 'api.created', data: {} },
      { type: 'api.updated', data: { fields: ['name', 'scopes'] } },
      { type: 'api.deleted', data: {} },
    ]);

    expect(
      (await api(node, 'POST', '/api/admin/roles', { token: admin, json: { name: 'auditors' } })).status,
    ).toBe(201);
    expect(
      (await api(node, 'POST', '/api/admin/roles', { token: admin, json: { name: 'auditors' } })).status,
    ).toBe(409);
    expect((await api(node, 'DELETE', '/api/admin/roles/auditors', { token: admin })).status).toBe(204);
    const roles = await eventsOf('auditors');
    expect(roles.map(({ type, data }) => ({ type, data }))).toEqual([
      { type: 'role.created', data: {} },
      { type: 'role.deleted', data: { forced: false } },
    ]);
    expect(roles.every((e) => e.actor_id === adminId)).toBe(true);
  });

  it('records a registration token by its fingerprint, never the token', async () => {
    const res = await api(node, 'POST', '/api/admin/registration-tokens', { token: admin, json: {} });
    expect(res.status).toBe(201);
    const { token } = res.body as { token: string };
    const rows = await auditRows(db, 'registration_token.created');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor_type: 'account',
      actor_id: adminId,
      target_type: 'registration_token',
    });
    expect(rows[0]!.target_id).toMatch(/^[0-9a-f]{16}$/);
    expect(await wholeTrail()).not.toContain(token);
  });
});
