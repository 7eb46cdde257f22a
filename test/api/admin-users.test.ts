/**
 * Administration of users and roles over real HTTP: the admin scope and role checks, pagination,
 * validation that changes nothing, and no password hash in any answer.
 */
import { ADMIN, ALICE } from '../support/fixtures';
import { accessToken, api, passwordTokens, startAdminApiNode, type ApiNode } from './support';

let node: ApiNode;
let admin: string;

beforeAll(async () => {
  ({ node, admin } = await startAdminApiNode());
});

afterAll(() => node?.stop());

const user = (body: unknown) => body as Record<string, unknown> & { id: string };

describe('who may administer', () => {
  it('refuses a token without scope admin with 403 insufficient_scope', async () => {
    const token = await accessToken(node, 'openid profile roles', 'admin');
    const res = await api(node, 'GET', '/api/admin/users', { token });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="gatehouse", error="insufficient_scope", scope="admin"',
    );
    expect(res.body).toEqual({
      error: 'insufficient_scope',
      error_description: "the access token lacks the scope 'admin'",
    });
  });

  it('gives the admin scope only to accounts with role admin', async () => {
    const token = await accessToken(node, 'openid admin');
    const res = await api(node, 'GET', '/api/admin/users', { token });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      error: 'insufficient_scope',
      error_description: "the access token lacks the scope 'admin'",
    });
  });

  it('refuses an account whose role admin was taken after its token was issued, with 403 access_denied', async () => {
    const former = await node.services.accounts.create({
      username: 'former-admin',
      password: 'password123',
      roles: ['admin'],
    });
    const token = await accessToken(node, 'admin', 'former-admin');
    await node.services.accounts.setRoles(former.id, []);
    for (const [method, path] of [
      ['GET', '/api/admin/users'],
      ['DELETE', `/api/admin/users/${ADMIN.id}`],
      ['GET', '/api/admin/clients'],
      ['POST', '/api/admin/roles'],
    ] as const) {
      const res = await api(node, method, path, {
        token,
        json: method === 'POST' ? { name: 'x' } : undefined,
      });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        error: 'access_denied',
        error_description: "the account lacks the role 'admin'",
      });
    }
    expect(await node.services.accounts.findById(ADMIN.id)).not.toBeNull();
    expect((await node.services.roles.list()).map((r) => r.name)).toEqual(['admin', 'user']);
  });

  it('refuses without a token', async () => {
    const res = await api(node, 'GET', '/api/admin/users');
    expect(res.status).toBe(401);
  });
});

describe('users', () => {
  it('creates a user with password, profile and roles; the password works and no hash is shown', async () => {
    const res = await api(node, 'POST', '/api/admin/users', {
      token: admin,
      json: {
        username: 'carol',
        password: 'carolpass1',
        email: 'carol@example.com',
        given_name: 'Carol',
        roles: ['user', 'admin'],
      },
    });
    expect(res.status).toBe(201);
    const body = user(res.body);
    expect(res.headers.get('location')).toBe(`/api/admin/users/${body.id}`);
    expect(body).toEqual({
      id: body.id,
      username: 'carol',
      email: 'carol@example.com',
      email_verified: false,
      given_name: 'Carol',
      family_name: null,
      phone_number: null,
      phone_number_verified: false,
      locale: null,
      address: null,
      disabled: false,
      roles: ['admin', 'user'],
      created_at: body.created_at,
      updated_at: body.updated_at,
    });
    expect(JSON.stringify(body)).not.toMatch(/\$2[aby]\$/);
    const tokens = await passwordTokens(node, { username: 'carol', password: 'carolpass1', scope: 'roles' });
    expect((await api(node, 'GET', '/api/roles', { token: tokens.access_token })).body).toEqual({
      roles: ['admin', 'user'],
    });
  });

  it('accepts a form with repeated roles', async () => {
    const res = await api(node, 'POST', '/api/admin/users', {
      token: admin,
      form: { username: 'frank', password: 'frankpass1', roles: ['user'], email_verified: 'true' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ username: 'frank', roles: ['user'], email_verified: true });
  });

  it('answers 400 with details and creates nothing for invalid fields or unknown roles', async () => {
    const before = await node.services.accounts.count();
    const bad = await api(node, 'POST', '/api/admin/users', {
      token: admin,
      json: { username: ' bad name', password: 'short', email: 'x', is_admin: true },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      error: 'invalid_request',
      error_description: 'the request is invalid',
      details: {
        username: 'must be 1-150 letters, digits and . _ @ + -',
        password: 'must be at least 8 characters',
        email: 'must be an email address',
        is_admin: 'unknown field',
      },
    });
    const roles = await api(node, 'POST', '/api/admin/users', {
      token: admin,
      json: { username: 'gina', password: 'ginapass1', roles: ['user', 'wizard'] },
    });
    expect(roles.status).toBe(400);
    expect(roles.body).toEqual({
      error: 'invalid_request',
      error_description: 'the request is invalid',
      details: { roles: 'unknown role: wizard' },
    });
    expect(await node.services.accounts.count()).toBe(before);
    expect(await node.services.roles.exists(['wizard'])).toEqual([]);
  });

  it('answers 409 for a taken username, whatever its case', async () => {
    const res = await api(node, 'POST', '/api/admin/users', {
      token: admin,
      json: { username: 'ALICE', password: 'password123' },
    });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: 'conflict', error_description: 'the username is taken' });
  });

  it('lists users by username a page at a time, with a prefix filter', async () => {
    for (const name of ['page-a', 'page-b', 'page-c', 'page-d', 'page-e'])
      await node.services.accounts.create({ username: name, password: 'password123' });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?prefix=page-&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await api(node, 'GET', `/api/admin/users${query}`, { token: admin });
      expect(res.status).toBe(200);
      const body = res.body as { users: { username: string }[]; next_cursor: string | null };
      seen.push(...body.users.map((u) => u.username));
      cursor = body.next_cursor;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(['page-a', 'page-b', 'page-c', 'page-d', 'page-e']);
    expect(pages).toBe(3);

    const all = await api(node, 'GET', '/api/admin/users?limit=200', { token: admin });
    const names = (all.body as { users: { username: string }[] }).users.map((u) => u.username);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['admin', 'alice']));

    const bad = await api(node, 'GET', '/api/admin/users?limit=0&sort=name', { token: admin });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      error: 'invalid_request',
      error_description: 'the query is invalid',
      details: { limit: 'Too small: expected number to be >=1', sort: 'unknown field' },
    });
  });

  it('reads, updates and deletes a user; unknown ids answer 404', async () => {
    const created = user(
      (
        await api(node, 'POST', '/api/admin/users', {
          token: admin,
          json: { username: 'hank', password: 'hankpass1' },
        })
      ).body,
    );
    const path = `/api/admin/users/${created.id}`;
    expect((await api(node, 'GET', path, { token: admin })).body).toEqual(created);

    const patched = await api(node, 'PATCH', path, {
      token: admin,
      json: { email: 'hank@example.com', email_verified: true, family_name: 'Hill' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      email: 'hank@example.com',
      email_verified: true,
      family_name: 'Hill',
    });

    const invalid = await api(node, 'PATCH', path, { token: admin, json: { username: 'x', locale: 1 } });
    expect(invalid.status).toBe(400);
    expect((invalid.body as { details: object }).details).toEqual({
      username: 'unknown field',
      locale: 'Invalid input: expected string, received number',
    });
    expect((await api(node, 'GET', path, { token: admin })).body).toEqual(patched.body);

    expect((await api(node, 'DELETE', path, { token: admin })).status).toBe(204);
    for (const method of ['GET', 'DELETE', 'PATCH'] as const) {
      const res = await api(node, method, path, {
        token: admin,
        json: method === 'PATCH' ? { locale: 'en' } : undefined,
      });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'not_found', error_description: 'no such user' });
    }
    expect((await api(node, 'GET', '/api/admin/users/not-a-uuid', { token: admin })).status).toBe(404);
  });

  it('replaces roles, sets the password, disables, enables and unlocks', async () => {
    const created = user(
      (
        await api(node, 'POST', '/api/admin/users', {
          token: admin,
          json: { username: 'ivy', password: 'ivypass12' },
        })
      ).body,
    );
    const base = `/api/admin/users/${created.id}`;

    const roles = await api(node, 'PUT', `${base}/roles`, {
      token: admin,
      json: { roles: ['user', 'admin'] },
    });
    expect(roles.status).toBe(200);
    expect(roles.body).toMatchObject({ roles: ['admin', 'user'] });
    const unknownRole = await api(node, 'PUT', `${base}/roles`, { token: admin, json: { roles: ['nope'] } });
    expect(unknownRole.status).toBe(400);
    expect((await node.services.accounts.findById(created.id))!.roles).toEqual(['admin', 'user']);

    const short = await api(node, 'POST', `${base}/password`, { token: admin, json: { password: 'x' } });
    expect(short.status).toBe(400);
    expect(short.body).toEqual({
      error: 'invalid_request',
      error_description: 'the request is invalid',
      details: { password: 'must be at least 8 characters' },
    });
    expect(
      (await api(node, 'POST', `${base}/password`, { token: admin, form: { password: 'newpass123' } }))
        .status,
    ).toBe(204);
    const token = (await passwordTokens(node, { username: 'ivy', password: 'newpass123', scope: 'profile' }))
      .access_token;

    const disabled = await api(node, 'POST', `${base}/disable`, { token: admin });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ disabled: true });
    expect((await api(node, 'GET', '/api/profile', { token })).status).toBe(401);
    await expect(
      passwordTokens(node, { username: 'ivy', password: 'newpass123', scope: 'profile' }),
    ).rejects.toThrow('invalid_grant');
    const enabled = await api(node, 'POST', `${base}/enable`, { token: admin });
    expect(enabled.body).toMatchObject({ disabled: false });
    // Disabling revoked the account's tokens: enabling it again does not bring them back.
    expect((await api(node, 'GET', '/api/profile', { token })).status).toBe(401);
    await passwordTokens(node, { username: 'ivy', password: 'newpass123', scope: 'profile' });

    // Lock the name with failed sign-ins, then unlock it.
    for (let i = 0; i < 5; i += 1)
      await passwordTokens(node, { username: 'ivy', password: 'wrong-pass', scope: 'profile' }).catch(
        () => {},
      );
    await expect(
      passwordTokens(node, { username: 'ivy', password: 'newpass123', scope: 'profile' }),
    ).rejects.toThrow('invalid_grant');
    expect((await api(node, 'POST', `${base}/unlock`, { token: admin })).status).toBe(204);
    expect(
      (await passwordTokens(node, { username: 'ivy', password: 'newpass123', scope: 'profile' }))
        .access_token,
    ).toBeTruthy();
  });
});

describe('roles', () => {
  it('lists, creates and deletes roles; a role in use needs ?force=true', async () => {
    const list = await api(node, 'GET', '/api/admin/roles', { token: admin });
    expect(list.status).toBe(200);
    expect((list.body as { roles: { name: string }[] }).roles.map((r) => r.name)).toEqual(['admin', 'user']);

    const created = await api(node, 'POST', '/api/admin/roles', {
      token: admin,
      json: { name: 'auditor', description: 'Reads logs' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ name: 'auditor', description: 'Reads logs', members: 0 });
    const again = await api(node, 'POST', '/api/admin/roles', { token: admin, form: { name: 'auditor' } });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ error: 'conflict', error_description: 'the role exists' });
    const invalid = await api(node, 'POST', '/api/admin/roles', { token: admin, json: { name: 'Bad Name' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toEqual({
      error: 'invalid_request',
      error_description: 'the request is invalid',
      details: { name: 'must be lower-case letters, digits and . _ : -' },
    });

    await node.services.accounts.setRoles(ALICE.id, ['user', 'auditor']);
    const inUse = await api(node, 'DELETE', '/api/admin/roles/auditor', { token: admin });
    expect(inUse.status).toBe(409);
    expect(inUse.body).toEqual({
      error: 'conflict',
      error_description: 'the role is held by accounts; delete with ?force=true to remove it from them',
    });
    expect((await node.services.accounts.findById(ALICE.id))!.roles).toEqual(['auditor', 'user']);
    expect((await api(node, 'DELETE', '/api/admin/roles/auditor?force=true', { token: admin })).status).toBe(
      204,
    );
    expect((await node.services.accounts.findById(ALICE.id))!.roles).toEqual(['user']);
    const gone = await api(node, 'DELETE', '/api/admin/roles/auditor', { token: admin });
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ error: 'not_found', error_description: 'no such role' });
  });
});
