/**
 * Values that cannot exist in the database (U+0000, unpaired surrogates, names longer than the
 * column) are values that are not found: each endpoint family answers what it answers for an unknown
 * value, never 500, and nothing is written. An invalid Host header is refused once, with 400.
 */
import http from 'node:http';
import { serializeError } from '../../src/log';
import { ADMIN, ALICE, DEMO_CLI, DEMO_SERVICE, DEMO_SERVICE_KEY, DEMO_WEB } from '../support/fixtures';
import { OTP_GRANT } from '../../src/oidc/grants/names';
import { FORM_TYPE, basic, form, post, requestOtp, tokenRequest } from '../support/http';
import { startTestServer, type TestServer } from '../support/server';
import { accessToken } from '../support/tokens';
import { demoWeb, newBrowser, start } from '../interactions/support/flow';
import { expectPage } from '../support/browser';

const NUL = 'a\u0000b';
const LONG_NAME = 'a'.repeat(151);
/** 100 characters whose lower-case form is 200: longer than the column only after lower-casing. */
const GROWS = '\u0130'.repeat(100);

let node: TestServer;
let adminToken: string;

beforeAll(async () => {
  node = await startTestServer();
  adminToken = await accessToken(node.issuer, 'openid profile admin profile:write', {
    username: ADMIN.username,
  });
});

afterAll(async () => {
  await node?.stop();
});

const formHeaders = FORM_TYPE;

async function rowCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ['accounts', 'clients', 'login_throttle', 'otp_codes']) {
    const row = await node.services.db(table).count<{ c: string }[]>({ c: '*' }).first();
    counts[table] = Number(row?.c ?? 0);
  }
  return counts;
}

describe('the token endpoint', () => {
  it.each([
    ['a NUL', NUL],
    ['151 characters', LONG_NAME],
    ['a name longer than the column once lower-cased', GROWS],
  ])('answers invalid_grant for a username with %s and writes nothing', async (_label, username) => {
    const before = await rowCounts();
    const answer = await tokenRequest(node.issuer, { grant_type: 'password', username, password: 'x' });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_grant');
    expect(await rowCounts()).toEqual(before);
  });

  it('answers invalid_grant for a password with a NUL, without checking it', async () => {
    const answer = await tokenRequest(node.issuer, {
      grant_type: 'password',
      username: 'alice',
      password: `${ALICE.password}\u0000junk`,
    });
    expect(answer.body.error).toBe('invalid_grant');
  });

  it.each([
    ['refresh_token', { grant_type: 'refresh_token', refresh_token: NUL }],
    [
      'authorization_code',
      { grant_type: 'authorization_code', code: NUL, redirect_uri: DEMO_WEB.redirectUri },
    ],
    ['otp', { grant_type: OTP_GRANT, username: NUL, otp: '123456' }],
  ])('answers invalid_grant for a %s grant with a NUL', async (grant, params) => {
    const answer = await tokenRequest(
      node.issuer,
      params,
      grant === 'authorization_code' ? DEMO_WEB : DEMO_CLI,
    );
    expect({ status: answer.status, error: answer.body.error }).toEqual({
      status: 400,
      error: 'invalid_grant',
    });
  });

  it("answers the library's invalid_request for a NUL in Basic credentials (RFC 6749 §2.3.1 encoding)", async () => {
    const answer = await post(`${node.issuer}/token`, form({ grant_type: 'client_credentials' }), {
      ...formHeaders,
      authorization: basic(NUL, 'secret'),
    });
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 400,
      body: {
        error: 'invalid_request',
        error_description: 'client_id and client_secret in the authorization header are not properly encoded',
      },
    });
  });

  it('answers invalid_client for a client_id with a NUL in the body', async () => {
    const answer = await post(
      `${node.issuer}/token`,
      form({ grant_type: 'client_credentials', client_id: NUL, client_secret: 'x' }),
      formHeaders,
    );
    expect({ status: answer.status, error: answer.body.error }).toEqual({
      status: 401,
      error: 'invalid_client',
    });
  });
});

describe('introspection, revocation and userinfo', () => {
  const service = basic(DEMO_SERVICE.id, DEMO_SERVICE.secret);

  it('introspects a token with a NUL as inactive', async () => {
    const answer = await post(`${node.issuer}/token/introspection`, form({ token: NUL }), {
      ...formHeaders,
      authorization: service,
    });
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: { active: false } });
  });

  it('revokes a token with a NUL as an unknown one', async () => {
    const answer = await post(`${node.issuer}/token/revocation`, form({ token: NUL }), {
      ...formHeaders,
      authorization: service,
    });
    expect(answer.status).toBe(200);
  });

  it('answers invalid_token at userinfo for an access token with a NUL', async () => {
    const answer = await post(`${node.issuer}/me`, form({ access_token: NUL }), formHeaders);
    expect({ status: answer.status, error: answer.body.error }).toEqual({
      status: 401,
      error: 'invalid_token',
    });
  });
});

describe('the authorization endpoint', () => {
  const auth = (params: Record<string, string>) =>
    fetch(
      `${node.issuer}/auth?${new URLSearchParams({
        client_id: DEMO_WEB.id,
        redirect_uri: DEMO_WEB.redirectUri,
        response_type: 'code',
        scope: 'openid',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        ...params,
      })}`,
      { redirect: 'manual', headers: { accept: 'text/html' } },
    );

  it.each(['state', 'nonce', 'ui_locales', 'acr_values', 'login_hint'])(
    'answers invalid_request naming %s when it holds a NUL',
    async (parameter) => {
      const res = await auth({ [parameter]: NUL });
      expect(res.status).toBeLessThan(500);
      // After the redirect URI is known good, the error goes back to the relying party (RFC 6749 §4.1.2.1).
      const location = new URL(res.headers.get('location')!, node.issuer);
      expect(location.origin + location.pathname).toBe('http://localhost:8080/callback');
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('error_description')).toContain(`'${parameter}'`);
    },
  );

  it('renders the error page for a client_id with a NUL', async () => {
    const res = await auth({ client_id: NUL });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('invalid_client');
  });
});

describe('the login page', () => {
  it.each([
    ['151 characters', LONG_NAME, 401],
    ['a name longer than the column once lower-cased', GROWS, 401],
    ['a NUL', NUL, 400],
  ])('answers a username with %s with the page, not a 500', async (_label, username, status) => {
    const rp = await demoWeb(node.issuer);
    const browser = newBrowser();
    const started = await start(browser, rp, DEMO_WEB.redirectUri);
    const before = await rowCounts();
    const outcome = await browser.submit(expectPage(started.outcome), '/login', { username, password: 'x' });
    const page = expectPage(outcome);
    expect(page.status).toBe(status);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await rowCounts()).toEqual(before);
  });
});

describe('the JSON API', () => {
  it('refuses /api/request-otp with a NUL, naming the field', async () => {
    const answer = await requestOtp(node.issuer, NUL);
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 400,
      body: {
        error: 'invalid_request',
        error_description: "'username' contains a character that is not allowed",
        details: { username: 'contains a character that is not allowed' },
      },
    });
  });

  it('accepts /api/request-otp for a name longer than the column once lower-cased, and writes nothing', async () => {
    const before = await rowCounts();
    expect((await requestOtp(node.issuer, GROWS)).status).toBe(202);
    expect(await rowCounts()).toEqual(before);
  });

  it('refuses the service-key routes with a NUL in the body, naming the field', async () => {
    const answer = await post(
      `${node.issuer}/api/token/password`,
      JSON.stringify({ username: NUL, password: 'x' }),
      { 'content-type': 'application/json', 'x-service-key': DEMO_SERVICE_KEY },
    );
    expect({ status: answer.status, details: answer.body.details }).toEqual({
      status: 400,
      details: { username: 'contains a character that is not allowed' },
    });
  });

  it.each([
    ['a NUL', 'Ali\u0000ce'],
    ['an unpaired surrogate', 'Ali\ud800ce'],
  ])('refuses a profile field with %s, naming it, and changes nothing', async (_label, value) => {
    const before = await node.services.accounts.findByUsername('admin');
    const res = await fetch(`${node.issuer}/api/profile`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ given_name: value }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { details: unknown }).details).toEqual({
      given_name: 'contains a character that is not allowed',
    });
    expect(await node.services.accounts.findByUsername('admin')).toEqual(before);
  });

  it.each([
    ['GET', `/api/admin/users?prefix=${encodeURIComponent(NUL)}`, 400],
    ['GET', `/api/admin/users?cursor=${encodeURIComponent(NUL)}`, 400],
    ['GET', `/api/admin/users/${encodeURIComponent(NUL)}`, 404],
    ['GET', `/api/admin/clients/${encodeURIComponent(NUL)}`, 404],
    ['DELETE', `/api/admin/roles/${encodeURIComponent(NUL)}`, 404],
    ['GET', `/api/admin/clients/${encodeURIComponent(NUL)}/service-keys`, 404],
  ])('answers %s %s with %d', async (method, path, status) => {
    const res = await fetch(`${node.issuer}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: string };
    expect(body.error).toBe(status === 404 ? 'not_found' : 'invalid_request');
  });
});

describe('the Host header', () => {
  function withHost(path: string, host: string): Promise<{ status: number; body: string }> {
    const { port } = new URL(node.issuer);
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it.each([
    ['/.well-known/openid-configuration', '127.0.0.1:99999'],
    ['/session/end', '127.0.0.1:99999'],
    ['/api/profile', 'exa mple'],
    ['/.well-known/openid-configuration', 'example.com/path'],
  ])('refuses %s with Host %s', async (path, host) => {
    const answer = await withHost(path, host);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({
      error: 'invalid_request',
      error_description: 'the Host header is not a valid host',
    });
  });

  it('serves a valid Host', async () => {
    const { host } = new URL(node.issuer);
    expect((await withHost('/.well-known/openid-configuration', host)).status).toBe(200);
  });
});

describe('error log lines', () => {
  it('keep no value a database error quotes', () => {
    const err = Object.assign(new Error('invalid input syntax for type uuid: "secret-value"'), {
      code: '22P02',
      severity: 'ERROR',
      routine: 'string_to_uuid',
      detail: 'Failing row contains (secret-value, $2b$10$hash)',
    });
    const line = JSON.stringify(serializeError(err));
    expect(line).not.toContain('secret-value');
    expect(line).not.toContain('$2b$');
    expect(serializeError(err)).toMatchObject({ type: 'DatabaseError', sqlState: '22P02' });
  });
});
