/**
 * `POST /api/admin/registration-tokens` over real HTTP: an administrator's initial access token
 * registers a client (RFC 7591), the route is in the OpenAPI document and behind the admin checks,
 * and a bad body changes nothing.
 */
import { ADMIN } from '../support/fixtures';
import { answerOf, JSON_TYPE } from '../support/http';
import { accessToken, api, startAdminApiNode, startApiNode, type ApiNode } from './support';

const PATH = '/api/admin/registration-tokens';

let node: ApiNode;
let admin: string;

beforeAll(async () => {
  ({ node, admin } = await startAdminApiNode());
});

afterAll(() => node?.stop());

function register(token: string) {
  return fetch(`${node.issuer}/reg`, {
    method: 'POST',
    headers: { ...JSON_TYPE, authorization: `Bearer ${token}` },
    body: JSON.stringify({
      client_name: 'Via the API',
      grant_types: ['client_credentials'],
      response_types: [],
    }),
  }).then(answerOf);
}

it('creates a token (shown once, no-store) that registers a client', async () => {
  const before = Date.now();
  const res = await api(node, 'POST', PATH, { token: admin, json: { expires_in: 600 } });
  expect(res.status).toBe(201);
  expect(res.headers.get('cache-control')).toBe('no-store');
  const { token, expires_at: expiresAt } = res.body as { token: string; expires_at: string };
  expect(Object.keys(res.body as object).sort()).toEqual(['expires_at', 'token']);
  expect(Date.parse(expiresAt)).toBeGreaterThanOrEqual(before + 599_000);
  expect(Date.parse(expiresAt)).toBeLessThanOrEqual(Date.now() + 601_000);
  const registered = await register(token);
  expect(registered.status).toBe(201);
  expect(registered.body).toMatchObject({ client_name: 'Via the API' });
});

it('defaults to one day, with an empty body or none', async () => {
  for (const options of [{ json: {} }, {}]) {
    const res = await api(node, 'POST', PATH, { token: admin, ...options });
    expect(res.status).toBe(201);
    const expiresAt = Date.parse((res.body as { expires_at: string }).expires_at);
    expect(Math.abs(expiresAt - (Date.now() + 86_400_000))).toBeLessThan(60_000);
  }
});

it.each([
  ['too short', { expires_in: 59 }],
  ['too long', { expires_in: 31_536_001 }],
  ['not a whole number', { expires_in: 60.5 }],
  ['a string', { expires_in: 'soon' }],
  ['an unknown field', { policies: ['x'] }],
])('refuses %s with 400 and per-field details', async (_name, json) => {
  const res = await api(node, 'POST', PATH, { token: admin, json });
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ error: 'invalid_request', details: expect.any(Object) });
});

it('is an admin route: no token 401, a token without the admin scope 403', async () => {
  expect((await api(node, 'POST', PATH, { json: {} })).status).toBe(401);
  const user = await accessToken(node, 'openid profile');
  expect((await api(node, 'POST', PATH, { token: user, json: {} })).status).toBe(403);
});

it('is in the OpenAPI document', async () => {
  const document = (await (await fetch(`${node.issuer}/api/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { operationId: string; tags?: string[] }>>;
  };
  expect(document.paths[PATH]?.post).toMatchObject({
    operationId: 'createRegistrationToken',
    tags: ['admin'],
  });
});

describe('with CLIENT_REGISTRATION=off', () => {
  let off: ApiNode;
  beforeAll(async () => {
    off = await startApiNode({ CLIENT_REGISTRATION: 'off' });
  });
  afterAll(() => off?.stop());

  it('answers 409: no token would be accepted', async () => {
    const token = await accessToken(off, 'admin', ADMIN.username);
    const res = await api(off, 'POST', PATH, { token, json: {} });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: 'conflict' });
  });
});
