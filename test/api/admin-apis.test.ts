/**
 * Administration of the registry of APIs (/api/admin/apis) over real HTTP, every answer checked
 * against the node's OpenAPI document: create, list, read, update and delete by the URL-encoded
 * identifier; 400 with per-field details for bad input, 409 for a second registration, 404 for an
 * unknown API; only administrators; and what the API registers is what the token endpoint issues.
 */
import { decodeJwt } from 'jose';
import { DEMO_SERVICE } from '../support/fixtures';
import { tokenRequest } from '../support/http';
import { accessToken } from '../support/tokens';
import { api, startAdminApiNode, type ApiNode } from './support';

let node: ApiNode;
let admin: string;

beforeAll(async () => {
  ({ node, admin } = await startAdminApiNode());
});

afterAll(() => node?.stop());

const IDENTIFIER = 'https://billing.example.com/api';
const path = (identifier: string) => `/api/admin/apis/${encodeURIComponent(identifier)}`;

describe('/api/admin/apis', () => {
  it('creates, reads, lists, updates and deletes an API', async () => {
    const created = await api(node, 'POST', '/api/admin/apis', {
      token: admin,
      json: {
        identifier: IDENTIFIER,
        name: 'Billing',
        scopes: ['invoices:read'],
        format: 'jwt',
        ttl_seconds: 900,
      },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(path(IDENTIFIER));
    const view = {
      identifier: IDENTIFIER,
      name: 'Billing',
      scopes: ['invoices:read'],
      format: 'jwt',
      ttl_seconds: 900,
      created_at: expect.any(String),
    };
    expect(created.body).toEqual(view);
    expect((await api(node, 'GET', path(IDENTIFIER), { token: admin })).body).toEqual(view);
    const listed = await api(node, 'GET', '/api/admin/apis', { token: admin });
    expect((listed.body as { apis: { identifier: string }[] }).apis.map((a) => a.identifier)).toEqual(
      expect.arrayContaining([IDENTIFIER, 'https://api.example.com']),
    );

    // The token endpoint issues what the registry says.
    const issued = await tokenRequest(
      node.issuer,
      { grant_type: 'client_credentials', scope: 'invoices:read', resource: IDENTIFIER },
      DEMO_SERVICE,
    );
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({ expires_in: 900, scope: 'invoices:read' });
    expect(decodeJwt(issued.body.access_token as string).aud).toBe(IDENTIFIER);

    const updated = await api(node, 'PUT', path(IDENTIFIER), {
      token: admin,
      json: { format: 'opaque', scopes: ['invoices:read', 'invoices:write'] },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({ ...view, format: 'opaque', scopes: ['invoices:read', 'invoices:write'] });
    const opaque = await tokenRequest(
      node.issuer,
      { grant_type: 'client_credentials', scope: 'invoices:write', resource: IDENTIFIER },
      DEMO_SERVICE,
    );
    expect((opaque.body.access_token as string).split('.')).toHaveLength(1);

    expect((await api(node, 'DELETE', path(IDENTIFIER), { token: admin })).status).toBe(204);
    expect((await api(node, 'GET', path(IDENTIFIER), { token: admin })).status).toBe(404);
    expect((await api(node, 'DELETE', path(IDENTIFIER), { token: admin })).status).toBe(404);
    const gone = await tokenRequest(
      node.issuer,
      { grant_type: 'client_credentials', scope: 'invoices:read', resource: IDENTIFIER },
      DEMO_SERVICE,
    );
    expect(gone.status).toBe(400);
    expect(gone.body.error).toBe('invalid_target');
  });

  it('takes jwt and an hour unless told', async () => {
    const identifier = 'https://defaults.example.com';
    const res = await api(node, 'POST', '/api/admin/apis', {
      token: admin,
      json: { identifier, scopes: ['a'] },
    });
    expect(res.body).toMatchObject({ identifier, name: null, format: 'jwt', ttl_seconds: 3600 });
  });

  it('answers 409 for an identifier registered already', async () => {
    const res = await api(node, 'POST', '/api/admin/apis', {
      token: admin,
      json: { identifier: 'https://api.example.com', scopes: ['read'] },
    });
    expect(res.status).toBe(409);
    expect((res.body as { error: string }).error).toBe('conflict');
  });

  it.each([
    [{ identifier: 'https://x.example.com/#frag', scopes: ['a'] }, 'identifier'],
    [{ identifier: 'not a uri', scopes: ['a'] }, 'identifier'],
    [{ identifier: 'https://x.example.com', scopes: [] }, 'scopes'],
    [{ identifier: 'https://x.example.com', scopes: ['a b'] }, 'scopes'],
    [{ identifier: 'https://x.example.com', scopes: ['a'], format: 'paseto' }, 'format'],
    [{ identifier: 'https://x.example.com', scopes: ['a'], ttl_seconds: 10 }, 'ttl_seconds'],
    [{ identifier: 'https://x.example.com', scopes: ['a'], extra: true }, 'extra'],
    [{ scopes: ['a'] }, 'identifier'],
  ])('answers 400 naming the bad field for %j', async (json, field) => {
    const res = await api(node, 'POST', '/api/admin/apis', { token: admin, json });
    expect(res.status).toBe(400);
    expect((res.body as { error: string }).error).toBe('invalid_request');
    expect(Object.keys((res.body as { details: object }).details)).toContain(field);
  });

  it('answers 400 for a bad update and 404 for an unknown API', async () => {
    const bad = await api(node, 'PUT', path('https://api.example.com'), {
      token: admin,
      json: { ttl_seconds: 100_000 },
    });
    expect(bad.status).toBe(400);
    const unknown = await api(node, 'PUT', path('https://unknown.example.com'), {
      token: admin,
      json: { name: 'x' },
    });
    expect(unknown.status).toBe(404);
  });

  it('is for administrators only', async () => {
    const alice = await accessToken(node.issuer, 'openid admin');
    expect((await api(node, 'GET', '/api/admin/apis', { token: alice })).status).toBe(403);
    expect((await api(node, 'GET', '/api/admin/apis')).status).toBe(401);
  });
});
