/**
 * The X-Service-Key routes over real HTTP: /api/token/password and /api/token/otp with and without a
 * trailing slash, form and JSON, answering exactly what the token endpoint answers; bad, missing and
 * revoked keys; malformed bodies; refreshing the tokens they issue.
 */
import { ALICE, DEMO_CLI, DEMO_SERVICE, DEMO_SERVICE_KEY as KEY } from '../support/fixtures';
import { OTP_GRANT } from '../../src/oidc/grants/names';
import { basic, form, post, requestOtp, tokenRequest, type HttpAnswer } from '../support/http';
import { startWebhookReceiver, webhookDelivery, type WebhookReceiver } from '../support/receivers';
import { startTestServer, type TestServer } from '../support/server';
import { decodeJwtPayload, refresh as refreshAt } from '../support/tokens';

let node: TestServer;
let hook: WebhookReceiver;

beforeAll(async () => {
  hook = await startWebhookReceiver();
  node = await startTestServer({
    env: {
      ...webhookDelivery(hook),
      OTP_RESEND_INTERVAL: '0',
      API_BODY_LIMIT: '4096',
    },
  });
});

afterAll(async () => {
  await node?.stop();
  await hook?.close();
});

type Encoding = 'form' | 'json';

function viaKey(
  path: string,
  params: Record<string, string>,
  options: { key?: string | null; encoding?: Encoding } = {},
): Promise<HttpAnswer> {
  const key = options.key === undefined ? KEY : options.key;
  const json = options.encoding === 'json';
  return post(`${node.issuer}${path}`, json ? JSON.stringify(params) : form(params), {
    'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded',
    ...(key === null ? {} : { 'x-service-key': key }),
  });
}

async function newCode(username: string): Promise<string> {
  const before = hook.deliveries.filter((d) => d.json.username === username).length;
  expect((await requestOtp(node.issuer, username)).status).toBe(202);
  return (await hook.forUser(username, before + 1)).json.code;
}

const alice = { username: ALICE.username, password: ALICE.password };

describe('POST /api/token/password', () => {
  it.each([
    ['/api/token/password', 'form'],
    ['/api/token/password/', 'form'],
    ['/api/token/password', 'json'],
    ['/api/token/password/', 'json'],
  ] as [string, Encoding][])('issues tokens for the key’s client at %s (%s)', async (path, encoding) => {
    const res = await viaKey(path, { ...alice, scope: 'openid offline_access' }, { encoding });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'openid offline_access' });
    expect(decodeJwtPayload(res.body.id_token as string)).toMatchObject({ aud: 'demo-cli', amr: ['pwd'] });
  });

  it('answers errors exactly as the token endpoint does', async () => {
    const cases: Record<string, string>[] = [
      { username: 'alice', password: 'wrong' },
      { username: 'nobody', password: 'wrong' },
      { username: 'alice' },
      { password: ALICE.password },
    ];
    for (const params of cases) {
      const direct = await tokenRequest(node.issuer, { grant_type: 'password', ...params });
      const routed = await viaKey('/api/token/password', params);
      expect(routed.status).toBe(direct.status);
      expect(routed.text).toBe(direct.text);
      expect(routed.headers.get('content-type')).toBe(direct.headers.get('content-type'));
    }
  });

  it('takes neither a grant type nor a client from the body', async () => {
    const res = await viaKey(
      '/api/token/password',
      { ...alice, grant_type: 'client_credentials', client_id: 'demo-service', scope: 'openid' },
      { encoding: 'json' },
    );
    expect(res.status).toBe(200);
    expect(decodeJwtPayload(res.body.id_token as string).aud).toBe('demo-cli');
  });
});

describe('POST /api/token/otp', () => {
  it.each([
    ['/api/token/otp', 'form'],
    ['/api/token/otp/', 'json'],
  ] as [string, Encoding][])('exchanges a code at %s (%s)', async (path, encoding) => {
    const code = await newCode('admin');
    const res = await viaKey(path, { username: 'admin', otp: code, scope: 'openid roles' }, { encoding });
    expect(res.status).toBe(200);
    expect(decodeJwtPayload(res.body.id_token as string)).toMatchObject({
      aud: 'demo-cli',
      amr: ['otp'],
      roles: ['admin'],
    });
    const again = await viaKey(path, { username: 'admin', otp: code }, { encoding });
    const direct = await tokenRequest(node.issuer, { grant_type: OTP_GRANT, username: 'admin', otp: code });
    expect(again.status).toBe(400);
    expect(again.text).toBe(direct.text);
  });

  it('takes a code sent as a JSON number', async () => {
    let code = await newCode('alice');
    while (code.startsWith('0')) code = await newCode('alice');
    const res = await post(`${node.issuer}/api/token/otp`, `{"username":"alice","otp":${Number(code)}}`, {
      'content-type': 'application/json',
      'x-service-key': KEY,
    });
    expect(res.status).toBe(200);
  });

  it('issues refresh tokens that rotate at the token endpoint', async () => {
    const code = await newCode('alice');
    const first = await viaKey('/api/token/otp', {
      username: 'alice',
      otp: code,
      scope: 'openid offline_access',
    });
    const refresh = (token: unknown) => refreshAt(node.issuer, token as string);
    const second = await refresh(first.body.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    expect((await refresh(first.body.refresh_token)).body.error).toBe('invalid_grant');
  });
});

describe('service keys', () => {
  const invalidKey = { error: 'invalid_client', error_description: 'the service key is not valid' };

  it.each(['/api/token/password', '/api/token/otp/'])('refuses a missing key at %s', async (path) => {
    const res = await viaKey(path, alice, { key: null });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error: 'invalid_client',
      error_description: 'the X-Service-Key header is required',
    });
  });

  it('refuses an unknown key and a revoked one', async () => {
    const unknown = await viaKey('/api/token/password', alice, { key: 'not-a-key' });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(invalidKey);

    const { key, serviceKey } = await node.services.serviceKeys.create('demo-cli');
    expect((await viaKey('/api/token/password', alice, { key })).status).toBe(200);
    await node.services.serviceKeys.revoke(serviceKey.id);
    const revoked = await viaKey('/api/token/password', alice, { key });
    expect(revoked.status).toBe(401);
    expect(revoked.body).toEqual(invalidKey);
  });

  it('answers unauthorized_client for the key of a client without the grant', async () => {
    const { key } = await node.services.serviceKeys.create('demo-service');
    const res = await viaKey('/api/token/password', alice, { key });
    const direct = await tokenRequest(node.issuer, { grant_type: 'password', ...alice }, DEMO_SERVICE);
    expect(res.status).toBe(400);
    expect(res.text).toBe(direct.text);
    expect(res.body.error).toBe('unauthorized_client');
  });
});

describe('malformed bodies', () => {
  const headers = { 'x-service-key': KEY };

  it.each(['/api/token/password', '/api/request-otp'])(
    'answers broken JSON at %s with 400 JSON',
    async (path) => {
      const res = await post(`${node.issuer}${path}`, '{"username": "alice",', {
        ...headers,
        'content-type': 'application/json',
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: 'invalid_request',
        error_description: 'the request body could not be parsed',
      });
    },
  );

  it.each(['/api/token/otp', '/api/request-otp'])(
    'answers a wrong content type at %s with 415 JSON',
    async (path) => {
      const res = await post(`${node.issuer}${path}`, 'username=alice', {
        ...headers,
        'content-type': 'text/plain',
      });
      expect(res.status).toBe(415);
      expect(res.body).toEqual({
        error: 'unsupported_media_type',
        error_description: 'the body must be JSON or a urlencoded form',
      });
    },
  );

  it.each(['/api/token/password', '/api/request-otp'])(
    'answers a huge body at %s with 413 JSON',
    async (path) => {
      const res = await post(
        `${node.issuer}${path}`,
        form({ username: 'alice', password: 'x'.repeat(10_000) }),
        {
          ...headers,
          'content-type': 'application/x-www-form-urlencoded',
        },
      );
      expect(res.status).toBe(413);
      expect(res.body).toEqual({
        error: 'payload_too_large',
        error_description: 'the request body is too large',
      });
    },
  );

  it('answers a JSON array or a non-string field with 400 JSON', async () => {
    const array = await post(`${node.issuer}/api/token/password`, '["alice"]', {
      ...headers,
      'content-type': 'application/json',
    });
    expect(array.status).toBe(400);
    expect(array.body.error).toBe('invalid_request');
    const object = await post(`${node.issuer}/api/request-otp`, '{"username":{"$ne":""}}', {
      'content-type': 'application/json',
    });
    expect(object.status).toBe(400);
    expect(object.body).toEqual({
      error: 'invalid_request',
      error_description: "'username' must be a string",
      details: { username: 'must be a string' },
    });
  });

  it('answers malformed requests at the token endpoint itself with 4xx JSON', async () => {
    const auth = { authorization: basic(DEMO_CLI.id, DEMO_CLI.secret) };
    const json = await post(`${node.issuer}/token`, '{"grant_type":"password"}', {
      ...auth,
      'content-type': 'application/json',
    });
    expect(json.status).toBe(400);
    expect(json.body.error).toBe('invalid_request');
    const huge = await post(
      `${node.issuer}/token`,
      form({ grant_type: 'password', password: 'x'.repeat(100_000) }),
      {
        ...auth,
        'content-type': 'application/x-www-form-urlencoded',
      },
    );
    expect(huge.status).toBe(400);
    expect(huge.body.error).toBe('invalid_request');
  });
});
