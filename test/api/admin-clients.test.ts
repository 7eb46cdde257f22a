/**
 * Administration of clients and service keys over real HTTP: secrets and keys appear once, the
 * provider accepts what the API registers, and invalid metadata changes nothing.
 */
import { tokenRequest } from '../support/http';
import { api, startAdminApiNode, type ApiNode } from './support';

let node: ApiNode;
let admin: string;

beforeAll(async () => {
  ({ node, admin } = await startAdminApiNode());
});

afterAll(() => node?.stop());

async function clientCredentials(clientId: string, secret: string): Promise<number> {
  const answer = await tokenRequest(
    node.issuer,
    { grant_type: 'client_credentials' },
    { id: clientId, secret },
  );
  return answer.status;
}

describe('clients', () => {
  it('creates a client whose secret is shown once and works at the token endpoint', async () => {
    const res = await api(node, 'POST', '/api/admin/clients', {
      token: admin,
      json: { client_id: 'reports', client_name: 'Reports', grant_types: ['client_credentials'] },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/api/admin/clients/reports');
    const { client_secret: secret } = res.body as { client_secret: string };
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.body).toEqual({
      client: {
        client_id: 'reports',
        client_name: 'Reports',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        post_logout_redirect_uris: [],
        scope: 'openid profile email',
        first_party: false,
      },
      client_secret: secret,
    });
    expect(await clientCredentials('reports', secret)).toBe(200);

    const read = await api(node, 'GET', '/api/admin/clients/reports', { token: admin });
    expect(read.body).toEqual((res.body as { client: object }).client);
    const list = await api(node, 'GET', '/api/admin/clients', { token: admin });
    const text = JSON.stringify(list.body);
    expect(text).not.toContain(secret);
    expect(text).not.toContain('demo-web-secret');
    expect(text).not.toContain('"client_secret"');
    expect((list.body as { clients: { client_id: string }[] }).clients.map((c) => c.client_id)).toEqual(
      expect.arrayContaining(['demo-web', 'demo-spa', 'demo-service', 'demo-cli', 'reports']),
    );
  });

  it('creates a public client without a secret and with a generated id', async () => {
    const res = await api(node, 'POST', '/api/admin/clients', {
      token: admin,
      json: { client_name: 'Mobile', public: true, redirect_uris: ['https://app.example.com/cb'] },
    });
    expect(res.status).toBe(201);
    const body = res.body as { client: { client_id: string }; client_secret: null };
    expect(body.client_secret).toBeNull();
    expect(body.client.client_id).toMatch(/^gh_[A-Za-z0-9_-]{16}$/);
    expect(body.client).toMatchObject({ token_endpoint_auth_method: 'none', response_types: ['code'] });
    const rotate = await api(node, 'POST', `/api/admin/clients/${body.client.client_id}/secret`, {
      token: admin,
    });
    expect(rotate.status).toBe(400);
    expect(rotate.body).toEqual({
      error: 'invalid_request',
      error_description: 'a public client has no secret',
    });
  });

  it('answers 400 with details for invalid metadata (ours and the provider’s) and stores nothing', async () => {
    const before = (await node.services.clients.list()).length;
    const bad = await api(node, 'POST', '/api/admin/clients', {
      token: admin,
      json: { client_name: '', redirect_uris: ['javascript:alert(1)'], grant_types: ['magic'], secret: 'x' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      error: 'invalid_request',
      error_description: 'the request is invalid',
      details: {
        client_name: 'Too small: expected string to have >=1 characters',
        'redirect_uris.0': 'must be an http(s) URL',
        'grant_types.0':
          'Invalid option: expected one of "authorization_code"|"refresh_token"|"client_credentials"|"implicit"|"password"|"urn:gatehouse:params:oauth:grant-type:otp"',
        secret: 'unknown field',
      },
    });
    // The provider's own validation: a code client needs a redirect URI.
    const provider = await api(node, 'POST', '/api/admin/clients', {
      token: admin,
      json: { client_name: 'No redirect', grant_types: ['authorization_code'] },
    });
    expect(provider.status).toBe(400);
    expect(provider.body).toEqual({
      error: 'invalid_request',
      error_description: 'the client metadata is invalid',
      details: { redirect_uris: 'must contain members' },
    });
    const taken = await api(node, 'POST', '/api/admin/clients', {
      token: admin,
      json: { client_id: 'demo-web', client_name: 'Again', grant_types: ['client_credentials'] },
    });
    expect(taken.status).toBe(409);
    expect(taken.body).toEqual({ error: 'conflict', error_description: 'the client_id is taken' });
    // Gatehouse's own account-page client lives in the provider's configuration, never in the registry.
    const reserved = await api(node, 'POST', '/api/admin/clients', {
      token: admin,
      json: { client_id: 'gatehouse-account', client_name: 'Shadow', grant_types: ['client_credentials'] },
    });
    expect(reserved.status).toBe(409);
    expect((await node.services.clients.list()).length).toBe(before);
  });

  it('updates redirect URIs and grants, rotates the secret, and deletes', async () => {
    const created = await api(node, 'POST', '/api/admin/clients', {
      token: admin,
      json: { client_id: 'shop', client_name: 'Shop', redirect_uris: ['https://shop.example.com/cb'] },
    });
    const { client_secret: first } = created.body as { client_secret: string };

    const patched = await api(node, 'PATCH', '/api/admin/clients/shop', {
      token: admin,
      json: {
        redirect_uris: ['https://shop.example.com/callback'],
        grant_types: ['authorization_code', 'client_credentials'],
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      redirect_uris: ['https://shop.example.com/callback'],
      grant_types: ['authorization_code', 'client_credentials'],
      response_types: ['code'],
    });
    const invalid = await api(node, 'PATCH', '/api/admin/clients/shop', {
      token: admin,
      json: { redirect_uris: [] },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toEqual({
      error: 'invalid_request',
      error_description: 'the client metadata is invalid',
      details: { redirect_uris: 'must contain members' },
    });
    expect((await api(node, 'GET', '/api/admin/clients/shop', { token: admin })).body).toEqual(patched.body);

    const rotated = await api(node, 'POST', '/api/admin/clients/shop/secret', { token: admin });
    expect(rotated.status).toBe(200);
    const { client_secret: second } = rotated.body as { client_secret: string };
    expect(rotated.body).toEqual({ client_id: 'shop', client_secret: second });
    expect(second).not.toBe(first);
    expect(await clientCredentials('shop', first)).toBe(401);
    expect(await clientCredentials('shop', second)).toBe(200);

    expect((await api(node, 'DELETE', '/api/admin/clients/shop', { token: admin })).status).toBe(204);
    const gone = await api(node, 'GET', '/api/admin/clients/shop', { token: admin });
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ error: 'not_found', error_description: 'no such client' });
    expect(await clientCredentials('shop', second)).toBe(401);
  });
});

describe('service keys', () => {
  it('creates a key shown once, lists without it, and revokes it', async () => {
    const created = await api(node, 'POST', '/api/admin/clients/demo-service/service-keys', { token: admin });
    expect(created.status).toBe(201);
    const { key, service_key: serviceKey } = created.body as { key: string; service_key: { id: string } };
    expect(key).toMatch(/^gh_sk_[A-Za-z0-9_-]{43}$/);
    expect(created.body).toEqual({
      service_key: {
        id: serviceKey.id,
        client_id: 'demo-service',
        prefix: key.slice(0, 12),
        created_at: expect.any(String),
        revoked_at: null,
        last_used_at: null,
      },
      key,
    });
    expect(await node.services.serviceKeys.verify(key)).toBe('demo-service');

    const list = await api(node, 'GET', '/api/admin/clients/demo-service/service-keys', { token: admin });
    expect(list.body).toEqual({ service_keys: [(created.body as { service_key: object }).service_key] });
    expect(JSON.stringify(list.body)).not.toContain(key);

    const path = `/api/admin/clients/demo-service/service-keys/${serviceKey.id}`;
    // Another client's path does not reach this key.
    const wrongClient = await api(
      node,
      'DELETE',
      `/api/admin/clients/demo-cli/service-keys/${serviceKey.id}`,
      {
        token: admin,
      },
    );
    expect(wrongClient.status).toBe(404);
    expect(wrongClient.body).toEqual({ error: 'not_found', error_description: 'no such service key' });
    expect((await api(node, 'DELETE', path, { token: admin })).status).toBe(204);
    expect(await node.services.serviceKeys.verify(key)).toBeNull();
    const after = await api(node, 'GET', '/api/admin/clients/demo-service/service-keys', { token: admin });
    expect(
      (after.body as { service_keys: { revoked_at: string | null }[] }).service_keys[0]!.revoked_at,
    ).not.toBeNull();
  });

  it('answers 404 for an unknown client', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const res = await api(node, method, '/api/admin/clients/nobody/service-keys', { token: admin });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'not_found', error_description: 'no such client' });
    }
  });
});
