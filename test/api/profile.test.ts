/**
 * GET/PUT /api/profile, GET /api/roles and GET /api/userinfo over real HTTP, with tokens from the
 * real password grant.
 */
import { ALICE } from '../support/fixtures';
import { accessToken, api, passwordTokens, startApiNode, type ApiNode } from './support';

let node: ApiNode;

beforeAll(async () => {
  node = await startApiNode();
});

afterAll(async () => {
  await node?.stop();
});

const ALICE_PROFILE = {
  sub: ALICE.id,
  username: 'alice',
  email: 'alice@example.com',
  email_verified: true,
  given_name: 'Alice',
  family_name: 'Liddell',
  name: 'Alice Liddell',
  phone_number: '+15550100002',
  locale: 'en',
  roles: ['user'],
};

describe('GET /api/profile', () => {
  it("answers the caller's profile with scope profile", async () => {
    const token = await accessToken(node, 'openid profile');
    const res = await api(node, 'GET', '/api/profile', { token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(ALICE_PROFILE);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a token without scope profile with 403 insufficient_scope', async () => {
    const token = await accessToken(node, 'openid email');
    const res = await api(node, 'GET', '/api/profile', { token });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="gatehouse", error="insufficient_scope", scope="profile"',
    );
    expect(res.body).toEqual({
      error: 'insufficient_scope',
      error_description: "the access token lacks the scope 'profile'",
    });
  });
});

describe('PUT /api/profile', () => {
  const bob = { username: 'bob', password: 'password123' };

  beforeAll(async () => {
    await node.services.accounts.create({
      ...bob,
      email: 'bob@example.com',
      emailVerified: true,
      givenName: 'Bob',
      familyName: 'Builder',
      roles: ['user'],
    });
  });

  it('updates the editable fields, unverifies a changed email, and userinfo and new ID tokens show it', async () => {
    const token = await accessToken(node, 'openid profile email profile:write', 'bob');
    const res = await api(node, 'PUT', '/api/profile', {
      token,
      json: {
        given_name: 'Robert',
        email: 'robert@example.com',
        locale: 'en-GB',
        phone_number: '+15550100099',
      },
    });
    expect(res.status).toBe(200);
    const account = (await node.services.accounts.findByUsername('bob'))!;
    expect(res.body).toEqual({
      sub: account.id,
      username: 'bob',
      email: 'robert@example.com',
      email_verified: false,
      given_name: 'Robert',
      family_name: 'Builder',
      name: 'Robert Builder',
      phone_number: '+15550100099',
      locale: 'en-GB',
      roles: ['user'],
    });
    expect(account.phoneNumberVerified).toBe(false);

    const me = await fetch(`${node.issuer}/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(await me.json()).toMatchObject({
      given_name: 'Robert',
      email: 'robert@example.com',
      email_verified: false,
    });

    const fresh = await passwordTokens(node, { ...bob, scope: 'openid profile email' });
    const claims = JSON.parse(Buffer.from(fresh.id_token!.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({
      given_name: 'Robert',
      email: 'robert@example.com',
      email_verified: false,
    });
  });

  it('accepts a form and clears a field with an empty value', async () => {
    const token = await accessToken(node, 'profile:write', 'bob');
    const res = await api(node, 'PUT', '/api/profile', {
      token,
      form: { locale: '', family_name: 'Builds' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ locale: null, family_name: 'Builds', name: 'Robert Builds' });
  });

  it('keeps email_verified when the email does not change', async () => {
    const token = await accessToken(node, 'profile:write');
    const res = await api(node, 'PUT', '/api/profile', { token, json: { email: 'alice@example.com' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(ALICE_PROFILE);
  });

  it('answers 400 with details per field for unknown and invalid fields, and changes nothing', async () => {
    const token = await accessToken(node, 'profile:write', 'bob');
    const before = await node.services.accounts.findByUsername('bob');
    const res = await api(node, 'PUT', '/api/profile', {
      token,
      json: {
        given_name: 'Valid',
        email: 'not-an-email',
        phone_number: '555',
        locale: 'english please',
        username: 'mallory',
        roles: ['admin'],
      },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'invalid_request',
      error_description: 'the request is invalid',
      details: {
        email: 'must be an email address',
        phone_number: 'must be an E.164 number such as +15550100002',
        locale: 'must be a BCP 47 language tag such as en or en-GB',
        username: 'unknown field',
        roles: 'unknown field',
      },
    });
    expect(await node.services.accounts.findByUsername('bob')).toEqual(before);
  });

  it('answers 400 for an empty body and for a body that is not an object', async () => {
    const token = await accessToken(node, 'profile:write', 'bob');
    const empty = await api(node, 'PUT', '/api/profile', { token, json: {} });
    expect(empty.status).toBe(400);
    expect(empty.body).toEqual({
      error: 'invalid_request',
      error_description: 'the body names no field to update',
    });
    const list = await api(node, 'PUT', '/api/profile', { token, json: ['x'] });
    expect(list.status).toBe(400);
    expect(list.body).toEqual({
      error: 'invalid_request',
      error_description: 'the request body must be a JSON object or a form',
    });
    const broken = await fetch(`${node.issuer}/api/profile`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"given_name":',
    });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({
      error: 'invalid_request',
      error_description: 'the request body could not be parsed',
    });
  });

  it('needs scope profile:write (profile is not enough)', async () => {
    const token = await accessToken(node, 'openid profile');
    const res = await api(node, 'PUT', '/api/profile', { token, json: { given_name: 'Eve' } });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="gatehouse", error="insufficient_scope", scope="profile:write"',
    );
    expect((await node.services.accounts.findById(ALICE.id))!.givenName).toBe('Alice');
  });
});

describe('GET /api/roles', () => {
  it("answers the caller's roles with scope roles", async () => {
    const token = await accessToken(node, 'roles', 'admin');
    const res = await api(node, 'GET', '/api/roles', { token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ roles: ['admin'] });
  });

  it('refuses a token without scope roles', async () => {
    const token = await accessToken(node, 'openid profile');
    const res = await api(node, 'GET', '/api/roles', { token });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      error: 'insufficient_scope',
      error_description: "the access token lacks the scope 'roles'",
    });
  });
});

describe('GET /api/userinfo', () => {
  async function providerUserinfo(token: string): Promise<unknown> {
    const res = await fetch(`${node.issuer}/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return res.json();
  }

  it.each(['openid', 'openid profile', 'openid email phone', 'openid profile email phone address roles'])(
    'answers what the provider userinfo answers for scope %s',
    async (scope) => {
      const token = await accessToken(node, scope);
      const res = await api(node, 'GET', '/api/userinfo', { token });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(await providerUserinfo(token));
    },
  );

  it('releases exactly the claims of the token scopes', async () => {
    const token = await accessToken(node, 'openid email roles');
    const res = await api(node, 'GET', '/api/userinfo', { token });
    expect(res.body).toEqual({
      sub: ALICE.id,
      email: 'alice@example.com',
      email_verified: true,
      roles: ['user'],
    });
  });

  it('needs scope openid, as the provider userinfo does', async () => {
    const token = await accessToken(node, 'profile');
    const res = await api(node, 'GET', '/api/userinfo', { token });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="gatehouse", error="insufficient_scope", scope="openid"',
    );
  });
});
