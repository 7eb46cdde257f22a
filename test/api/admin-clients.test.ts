/**
 * Administration of clients and service keys over real HTTP: secrets and keys appear once, the
 * provider accepts what the API registers, and invalid metadata changes nothing.
 */
import { exportJWK, generateKeyPair } from 'jose';
import { grantType } from '../../src/clients/metadata';
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
    const issuedAt = (res.body as { client_id_issued_at: number }).client_id_issued_at;
    expect(Math.abs(issuedAt - Date.now() / 1000)).toBeLessThan(60);
    // RFC 7591 §3.2.1: the client information response, every field top level.
    expect(res.body).toEqual({
      client_id: 'reports',
      client_id_issued_at: issuedAt,
      client_secret: secret,
      client_secret_expires_at: 0,
      client_name: 'Reports',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      post_logout_redirect_uris: [],
      scope: 'openid profile email',
      first_party: false,
    });
    expect(await clientCredentials('reports', secret)).toBe(200);

    const read = await api(node, 'GET', '/api/admin/clients/reports', { token: admin });
    const {
      client_secret: _secret,
      client_secret_expires_at: _expires,
      ...metadata
    } = res.body as Record<string, unknown>;
    expect(read.body).toEqual(metadata);
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
    const body = res.body as { client_id: string };
    expect(body).not.toHaveProperty('client_secret');
    expect(body).not.toHaveProperty('client_secret_expires_at');
    expect(body.client_id).toMatch(/^gh_[A-Za-z0-9_-]{16}$/);
    expect(body).toMatchObject({ token_endpoint_auth_method: 'none', response_types: ['code'] });
    const rotate = await api(node, 'POST', `/api/admin/clients/${body.client_id}/secret`, {
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
      error: 'invalid_client_metadata',
      error_description: 'the client metadata is invalid',
      details: {
        client_name: 'Too small: expected string to have >=1 characters',
        'redirect_uris.0': 'must be an http(s) URL',
        'grant_types.0': `Invalid option: expected one of ${grantType.options.map((g) => `"${g}"`).join('|')}`,
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
      error: 'invalid_redirect_uri',
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
      error: 'invalid_redirect_uri',
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

describe('RFC 7591 metadata', () => {
  const FULL = {
    client_id: 'full-rp',
    client_name: 'Full RP',
    redirect_uris: ['https://rp.example.com/cb'],
    post_logout_redirect_uris: ['https://rp.example.com/bye'],
    grant_types: ['authorization_code', 'implicit', 'refresh_token'],
    response_types: ['code', 'code id_token', 'id_token'],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'ES256',
    userinfo_signed_response_alg: 'RS256',
    backchannel_logout_uri: 'https://rp.example.com/backchannel',
    backchannel_logout_session_required: true,
    require_pushed_authorization_requests: false,
    dpop_bound_access_tokens: false,
    scope: 'openid profile',
    first_party: true,
    logo_uri: 'https://rp.example.com/logo.png',
    client_uri: 'https://rp.example.com/',
    policy_uri: 'https://rp.example.com/privacy',
    tos_uri: 'https://rp.example.com/terms',
    contacts: ['ops@rp.example.com'],
  };

  it('takes every field, answers them top level beside the secret, and reads them back', async () => {
    const res = await api(node, 'POST', '/api/admin/clients', { token: admin, json: FULL });
    expect(res.status).toBe(201);
    const { client_secret: secret, client_id_issued_at: issuedAt } = res.body as {
      client_secret: string;
      client_id_issued_at: number;
    };
    expect(res.body).toEqual({
      ...FULL,
      client_id_issued_at: issuedAt,
      client_secret: secret,
      client_secret_expires_at: 0,
    });
    const read = await api(node, 'GET', '/api/admin/clients/full-rp', { token: admin });
    expect(read.body).toEqual({ ...FULL, client_id_issued_at: issuedAt });
    const listed = await api(node, 'GET', '/api/admin/clients', { token: admin });
    expect((listed.body as { clients: object[] }).clients).toContainEqual(read.body);
    // The provider loads it as registered.
    const loaded = await node.provider.Client.find('full-rp');
    expect(loaded?.metadata()).toMatchObject({
      response_types: FULL.response_types,
      id_token_signed_response_alg: 'ES256',
      backchannel_logout_uri: FULL.backchannel_logout_uri,
    });
  });

  it('refuses what the provider refuses, and our own rules, with 400 per field and stores nothing', async () => {
    const before = (await node.services.clients.list()).length;
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const cases: [Record<string, unknown>, string, Record<string, string>][] = [
      [
        { token_endpoint_auth_method: 'private_key_jwt' },
        'invalid_client_metadata',
        { jwks: 'jwks or jwks_uri is mandatory for this client' },
      ],
      [
        { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [await exportJWK(privateKey)] } },
        'invalid_client_metadata',
        { jwks: 'keys[0] is a private or symmetric key: register public keys only' },
      ],
      [
        {
          token_endpoint_auth_method: 'private_key_jwt',
          jwks: { keys: [await exportJWK(publicKey)] },
          jwks_uri: 'https://rp.example.com/jwks',
        },
        'invalid_client_metadata',
        { jwks: 'jwks and jwks_uri must not be used at the same time' },
      ],
      [
        { public: true, token_endpoint_auth_method: 'client_secret_basic' },
        'invalid_client_metadata',
        { public: 'contradicts token_endpoint_auth_method client_secret_basic' },
      ],
      [
        { token_endpoint_auth_method: 'tls_client_auth', response_types: ['token'] },
        'invalid_client_metadata',
        {
          token_endpoint_auth_method:
            'Invalid option: expected one of "client_secret_basic"|"client_secret_post"|"client_secret_jwt"|"private_key_jwt"|"none"',
          'response_types.0':
            'Invalid option: expected one of "code"|"id_token"|"id_token token"|"code id_token"|"code token"|"code id_token token"|"none"',
        },
      ],
      [
        {
          jwks_uri: 'http://rp.example.com/jwks',
          contacts: 'ops@rp.example.com',
          dpop_bound_access_tokens: 'yes',
        },
        'invalid_client_metadata',
        {
          jwks_uri: 'must be an https URL',
          contacts: 'Invalid input: expected array, received string',
          dpop_bound_access_tokens: 'Invalid input: expected boolean, received string',
        },
      ],
      [
        { response_types: ['id_token'], redirect_uris: ['https://rp.example.com/cb'] },
        'invalid_client_metadata',
        { response_types: "'id_token' and 'token' need the implicit grant" },
      ],
    ];
    for (const [fields, error, details] of cases) {
      const res = await api(node, 'POST', '/api/admin/clients', {
        token: admin,
        json: { client_name: 'Bad', grant_types: ['client_credentials'], ...fields },
      });
      expect({ status: res.status, body: res.body }).toEqual({
        status: 400,
        body: { error, error_description: 'the client metadata is invalid', details },
      });
    }
    expect((await node.services.clients.list()).length).toBe(before);
  });

  it('updates the new fields; a change that would need a secret the client lacks is refused', async () => {
    await api(node, 'POST', '/api/admin/clients', {
      token: admin,
      json: { client_id: 'patchable', client_name: 'Patchable', grant_types: ['client_credentials'] },
    });
    const patched = await api(node, 'PATCH', '/api/admin/clients/patchable', {
      token: admin,
      json: { token_endpoint_auth_method: 'client_secret_post', contacts: ['a@example.com'] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      token_endpoint_auth_method: 'client_secret_post',
      contacts: ['a@example.com'],
    });
    expect(patched.body).not.toHaveProperty('client_secret');
    expect(await node.services.clients.findMetadata('patchable')).toMatchObject({
      client_secret: expect.any(String),
    });

    await api(node, 'POST', '/api/admin/clients', {
      token: admin,
      json: {
        client_id: 'keyless',
        client_name: 'Keyless',
        public: true,
        redirect_uris: ['https://k.example/cb'],
      },
    });
    const refused = await api(node, 'PATCH', '/api/admin/clients/keyless', {
      token: admin,
      json: { token_endpoint_auth_method: 'client_secret_basic' },
    });
    expect(refused.body).toEqual({
      error: 'invalid_client_metadata',
      error_description: 'the client metadata is invalid',
      details: {
        token_endpoint_auth_method:
          'client_secret_basic needs a client secret, and this client has none: register a new client',
      },
    });
    const unknown = await api(node, 'PATCH', '/api/admin/clients/keyless', {
      token: admin,
      json: { client_id: 'other', client_secret: 'mine' },
    });
    expect(unknown.body).toEqual({
      error: 'invalid_client_metadata',
      error_description: 'the client metadata is invalid',
      details: { client_id: 'unknown field', client_secret: 'unknown field' },
    });
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
