/**
 * The shape of the whole API: body limits and content types, JSON 404/405 for unknown routes, CORS
 * for configured origins only, and the OpenAPI document describing exactly the routes that exist,
 * the integrator routes included.
 */
import type Router from '@koa/router';
import { createIntegratorRouter } from '../../src/api/integrator';
import { createApiRouters } from '../../src/api/router';
import { INTEGRATOR_PATHS, openApiPath } from '../../src/api/paths';
import { ALICE, DEMO_SERVICE_KEY } from '../support/fixtures';
import { accessToken, api, checkDocumented, startApiNode, type ApiNode } from './support';

const ORIGIN = 'https://app.example.com';
let node: ApiNode;

beforeAll(async () => {
  node = await startApiNode({
    API_CORS_ORIGINS: `${ORIGIN},https://admin.example.com`,
    API_BODY_LIMIT: '2048',
  });
});

afterAll(async () => {
  await node?.stop();
});

/** The integrator's router, as the node builds it, to see which routes it serves. */
function integratorRouter(): Router {
  const { services, config } = node;
  return createIntegratorRouter({
    provider: node.provider,
    otps: services.otps,
    delivery: node.delivery,
    serviceKeys: services.serviceKeys,
    clients: services.clients,
    logger: services.logger,
    otpTtlSeconds: config.otp.ttlSeconds,
    bodyLimitBytes: config.api.bodyLimitBytes,
    rateLimits: services.rateLimits,
    proxy: config.proxy,
  });
}

describe('bodies', () => {
  it('answers 413 for a body over API_BODY_LIMIT and changes nothing', async () => {
    const token = await accessToken(node, 'profile:write');
    const res = await api(node, 'PUT', '/api/profile', { token, json: { given_name: 'x'.repeat(3000) } });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      error: 'payload_too_large',
      error_description: 'the request body is too large',
    });
    const form = await api(node, 'POST', '/api/validate-token', { token, form: { token: 'x'.repeat(3000) } });
    expect(form.status).toBe(413);
    expect((await node.services.accounts.findByUsername('alice'))!.givenName).toBe('Alice');
  });

  it('answers 415 for a body that is neither JSON nor a form', async () => {
    const token = await accessToken(node, 'profile:write');
    const res = await fetch(`${node.issuer}/api/profile`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      body: 'given_name=Eve',
    });
    expect(res.status).toBe(415);
    const body = await res.json();
    checkDocumented(node, 'PUT', '/api/profile', { status: 415, headers: res.headers, body });
    expect(body).toEqual({
      error: 'unsupported_media_type',
      error_description: 'the body must be JSON or a urlencoded form',
    });
  });
});

describe('unknown routes', () => {
  it('answers 404 JSON for unknown paths under /api', async () => {
    for (const path of ['/api', '/api/nope', '/api/admin/nope/deeper', '/api/profile/extra']) {
      const res = await api(node, 'GET', path);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toEqual({ error: 'not_found', error_description: 'no such API route' });
    }
  });

  it('answers 405 with Allow for a known path with another method, and OPTIONS with Allow', async () => {
    const res = await api(node, 'DELETE', '/api/profile');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('HEAD, GET, PUT');
    expect(res.body).toEqual({
      error: 'invalid_request',
      error_description: 'method not allowed; allowed: HEAD, GET, PUT',
    });
    const options = await fetch(`${node.issuer}/api/admin/users/x`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('HEAD, GET, PATCH, DELETE');
  });
});

describe('CORS', () => {
  it('allows a configured origin, exposing the challenge header', async () => {
    const res = await api(node, 'GET', '/api/profile', { headers: { origin: ORIGIN } });
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('access-control-expose-headers')).toBe('WWW-Authenticate, Location');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('vary')).toMatch(/Origin/);
  });

  it('answers a preflight from a configured origin', async () => {
    const res = await fetch(`${node.issuer}/api/profile`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://admin.example.com',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://admin.example.com');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST, PUT, PATCH, DELETE');
    expect(res.headers.get('access-control-allow-headers')).toBe(
      'Authorization, Content-Type, X-Service-Key',
    );
    expect(res.headers.get('access-control-max-age')).toBe('600');
  });

  it('gives other origins and non-API paths no CORS headers', async () => {
    const other = await fetch(`${node.issuer}/api/profile`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'GET' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('access-control-allow-methods')).toBeNull();
    const get = await api(node, 'GET', '/api/openapi.json', {
      headers: { origin: 'https://evil.example.com' },
    });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
    const health = await fetch(`${node.issuer}/healthz`, { headers: { origin: ORIGIN } });
    expect(health.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the OpenAPI document', () => {
  it('is an OpenAPI 3.1 document describing exactly the routes the routers serve', async () => {
    const res = await api(node, 'GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    const document = res.body as {
      openapi: string;
      servers: { url: string }[];
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([{ url: node.issuer }]);

    const served = new Set<string>();
    const deps = {
      ...node.services,
      passwordReset: node.links.passwordReset,
      emailVerification: node.links.emailVerification,
      registration: node.links.registration,
    };
    for (const router of [...createApiRouters(deps, node.provider).slice(0, -1), integratorRouter()])
      for (const layer of router.stack)
        for (const method of layer.methods)
          if (method !== 'HEAD')
            // `/api/token/otp/` is the same operation as `/api/token/otp` (integrator.ts).
            served.add(
              `${method.toLowerCase()} ${openApiPath(layer.path as string).replace(/(.)\/$/, '$1')}`,
            );
    const documented = new Set<string>();
    for (const [path, operations] of Object.entries(document.paths))
      for (const method of Object.keys(operations)) documented.add(`${method} ${path}`);
    expect([...documented].sort()).toEqual([...served].sort());
    // 32, the account API's six (/api/account/mfa…) and the admin's two of a user's second factors;
    // the account's profile, password and sessions (five), consents (two), the password reset and
    // e-mail verification (three) and the admin's invitations (one); the admin's registration tokens
    // (one), APIs (five) and back-channel logout counts (one); the audit trail (one) and webhook
    // endpoints (eight).
    expect(documented.size).toBe(67);
    for (const path of Object.values(INTEGRATOR_PATHS)) expect(documented).toContain(`post ${path}`);

    const ids = Object.values(document.paths).flatMap((ops) =>
      Object.values(ops).map((op) => op.operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is checked against every answer, and the check fails for an undocumented body', async () => {
    const token = await accessToken(node, 'roles');
    const res = await api(node, 'GET', '/api/roles', { token });
    expect(() => checkDocumented(node, 'GET', '/api/roles', res)).not.toThrow();
    expect(() =>
      checkDocumented(node, 'GET', '/api/roles', { ...res, body: { roles: ['user'], password_hash: 'x' } }),
    ).toThrow(/does not match the document/);
    expect(() => checkDocumented(node, 'GET', '/api/roles', { ...res, status: 418 })).toThrow(
      /undocumented response/,
    );
  });

  it('describes the integrator routes: bodies, the X-Service-Key scheme, and their answers', async () => {
    const document = (await api(node, 'GET', '/api/openapi.json')).body as {
      paths: Record<string, Record<string, { security: object[]; requestBody?: object; tags: string[] }>>;
      components: { securitySchemes: Record<string, object> };
    };
    expect(document.components.securitySchemes.serviceKey).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'X-Service-Key',
    });
    for (const path of Object.values(INTEGRATOR_PATHS)) {
      const operation = document.paths[path]!.post!;
      expect(operation.requestBody).toBeDefined();
      expect(operation.tags).toEqual(['integrator']);
      expect(operation.security).toEqual(path === INTEGRATOR_PATHS.requestOtp ? [] : [{ serviceKey: [] }]);
    }

    // Each answer is checked against the document by api().
    const key = { 'x-service-key': DEMO_SERVICE_KEY };
    const alice = { username: ALICE.username, password: ALICE.password, scope: 'openid' };
    expect(
      (await api(node, 'POST', INTEGRATOR_PATHS.requestOtp, { json: { username: 'alice' } })).status,
    ).toBe(202);
    expect(
      (await api(node, 'POST', INTEGRATOR_PATHS.passwordToken, { json: alice, headers: key })).status,
    ).toBe(200);
    expect((await api(node, 'POST', INTEGRATOR_PATHS.passwordToken, { json: alice })).status).toBe(401);
    const wrong = await api(node, 'POST', INTEGRATOR_PATHS.otpToken, {
      json: { username: 'alice', otp: '000000' },
      headers: key,
    });
    expect(wrong.status).toBe(400);
    const bad = await api(node, 'POST', INTEGRATOR_PATHS.otpToken, {
      json: { username: ['alice'] },
      headers: key,
    });
    expect(bad.body).toEqual({
      error: 'invalid_request',
      error_description: "'username' must be a string",
      details: { username: 'must be a string' },
    });
  });
});
