/**
 * Dynamic client registration (RFC 7591, OpenID Connect Dynamic Client Registration 1.0) and its
 * management (RFC 7592) on real nodes: initial access tokens, the self-registration policy, clients
 * registered on one node and used (or deleted) on another, CLIENT_REGISTRATION open and off, the
 * per-source limit, and bad bodies.
 */
import { createRegistrationToken } from '../../src/oidc/registration-tokens';
import { usingPostgres } from '../support/database';
import { ALICE } from '../support/fixtures';
import { answerOf, JSON_TYPE, type HttpAnswer } from '../support/http';
import { oidc } from '../support/rp';
import { startTestServer, useTwoNodes, type TestServer } from '../support/server';
import { sleep } from '../support/wait';
import { newBrowser, redeem, signInAndAllow, start } from '../interactions/support/flow';

jest.setTimeout(60_000);

const REDIRECT = 'http://localhost:9090/cb';
const insecure = { execute: [oidc.allowInsecureRequests] };

/** Plenty for a file's registrations from 127.0.0.1; the limit has its own test below. */
const ROOMY = { RATE_LIMIT_CLIENT_REGISTRATION: '1000/3600' };

interface Registered {
  client_id: string;
  client_secret?: string;
  registration_access_token: string;
  registration_client_uri: string;
  [field: string]: unknown;
}

function register(node: TestServer, body: unknown, token?: string): Promise<HttpAnswer> {
  return fetch(`${node.issuer}/reg`, {
    method: 'POST',
    headers: { ...JSON_TYPE, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  }).then(answerOf);
}

function manage(uri: string, token: string, method: 'GET' | 'PUT' | 'DELETE', body?: unknown) {
  return fetch(uri, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? JSON_TYPE : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  }).then(answerOf);
}

async function discovery(node: TestServer): Promise<Record<string, unknown>> {
  return (await fetch(`${node.issuer}/.well-known/openid-configuration`)).json() as Promise<
    Record<string, unknown>
  >;
}

/** A confidential client for client_credentials: no redirects, no browser. */
const SERVICE = {
  client_name: 'Registered service',
  grant_types: ['client_credentials'],
  response_types: [],
};

async function clientCredentials(node: TestServer, client: Registered): Promise<HttpAnswer> {
  return fetch(`${node.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials&scope=openid',
  }).then(answerOf);
}

describe('CLIENT_REGISTRATION=token (the default)', () => {
  let node: TestServer;
  let token: string;

  beforeAll(async () => {
    node = await startTestServer({ env: ROOMY });
    ({ token } = await createRegistrationToken(node.provider));
  });
  afterAll(() => node?.stop());

  it('advertises the registration endpoint', async () => {
    expect((await discovery(node)).registration_endpoint).toBe(`${node.issuer}/reg`);
  });

  it('registers a client with an initial access token, which then signs a person in (code flow)', async () => {
    const rp = await oidc.dynamicClientRegistration(
      new URL(node.issuer),
      // client_secret_post: what openid-client authenticates with after registering (it knows no
      // secret before, so it cannot be told ClientSecretBasic).
      {
        client_name: 'Registered app',
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'client_secret_post',
      },
      undefined,
      { initialAccessToken: token, ...insecure },
    );
    const metadata = rp.clientMetadata() as unknown as Registered;
    expect(metadata.client_secret).toEqual(expect.any(String));
    expect(metadata.registration_access_token).toEqual(expect.any(String));
    expect(metadata.registration_client_uri).toBe(`${node.issuer}/reg/${metadata.client_id}`);
    // No scope asked for: the default list, never "every scope" (clients/scope.ts).
    expect(metadata.scope).toBe('openid profile email');
    // Stored in the clients table like any client.
    const stored = await node.services.clients.findMetadata(metadata.client_id);
    expect(stored).toMatchObject({ client_name: 'Registered app', redirect_uris: [REDIRECT] });

    const browser = newBrowser();
    const started = await start(browser, rp, REDIRECT);
    const callback = await signInAndAllow(browser, started);
    const tokens = await redeem(rp, callback, started);
    expect(tokens.claims()?.sub).toBe((await node.services.accounts.findByUsername(ALICE.username))!.id);
    expect(tokens.claims()?.aud).toBe(metadata.client_id);
  });

  it('refuses a registration without a token, with a wrong one and with an expired one (401 invalid_token)', async () => {
    const expired = await new node.provider.InitialAccessToken({ expiresIn: 1 }).save();
    await sleep(2100);
    for (const presented of [undefined, 'not-a-token', expired, `${token}x`]) {
      const answer = await register(node, SERVICE, presented);
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: 'invalid_token' });
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer /);
    }
  });

  it.each([
    ['the admin scope', { scope: 'openid admin' }, 'invalid_client_metadata', /scope admin/],
    ['the account scope', { scope: 'account' }, 'invalid_client_metadata', /scope account/],
    ['the password grant', { grant_types: ['password'] }, 'invalid_client_metadata', /password/],
    [
      'the OTP grant',
      { grant_types: ['urn:gatehouse:params:oauth:grant-type:otp'] },
      'invalid_client_metadata',
      /otp/,
    ],
    [
      'token exchange',
      { grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'] },
      'invalid_client_metadata',
      /token-exchange/,
    ],
    ['first_party', { first_party: true }, 'invalid_client_metadata', /first_party/],
  ])('refuses %s (RFC 7591 §3.2.2) and stores nothing', async (_name, extra, error, description) => {
    const before = await node.services.clients.count();
    const answer = await register(node, { ...SERVICE, ...extra }, token);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error, error_description: expect.stringMatching(description) });
    expect(await node.services.clients.count()).toBe(before);
  });

  it("answers the library's own refusals of metadata as RFC 7591 errors", async () => {
    const bad = await register(node, { redirect_uris: ['not a uri'] }, token);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'invalid_redirect_uri' });
  });

  it.each([
    ['malformed JSON', '{"redirect_uris": ['],
    ['an array', '[]'],
    ['a string', '"client"'],
    ['null', 'null'],
  ])('answers %s with 400 invalid_request', async (_name, body) => {
    const answer = await register(node, body, token);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_request' });
  });

  it('answers a form body with 400, never 5xx', async () => {
    const answer = await fetch(`${node.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}` },
      body: 'client_name=x',
    }).then(answerOf);
    expect(answer.status).toBe(400);
  });

  describe('RFC 7592 management with the registration access token', () => {
    let client: Registered;

    beforeAll(async () => {
      const answer = await register(node, SERVICE, token);
      expect(answer.status).toBe(201);
      client = answer.body as Registered;
    });

    it('reads the client', async () => {
      const read = await manage(client.registration_client_uri, client.registration_access_token, 'GET');
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({
        client_id: client.client_id,
        client_name: 'Registered service',
        registration_access_token: client.registration_access_token,
      });
      expect(read.headers.get('cache-control')).toMatch(/no-store/);
    });

    it('refuses a wrong registration access token, and the token of another client', async () => {
      const wrong = await manage(client.registration_client_uri, 'not-the-token', 'GET');
      expect(wrong.status).toBe(401);
      expect(wrong.body).toMatchObject({ error: 'invalid_token' });
      const other = (await register(node, SERVICE, token)).body as Registered;
      const crossed = await manage(client.registration_client_uri, other.registration_access_token, 'GET');
      expect(crossed.status).toBe(401);
      expect(crossed.body).toMatchObject({ error: 'invalid_token' });
    });

    it('applies the policy to an update too', async () => {
      const update = { ...SERVICE, client_id: client.client_id, scope: 'openid admin' };
      const answer = await manage(
        client.registration_client_uri,
        client.registration_access_token,
        'PUT',
        update,
      );
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: 'invalid_client_metadata' });
      const grant = {
        ...SERVICE,
        client_id: client.client_id,
        grant_types: ['client_credentials', 'password'],
      };
      const refused = await manage(
        client.registration_client_uri,
        client.registration_access_token,
        'PUT',
        grant,
      );
      expect(refused.status).toBe(400);
      expect((await node.services.clients.findMetadata(client.client_id))?.scope).toBe(
        'openid profile email',
      );
    });

    it('updates the client and rotates the registration access token', async () => {
      const update = { ...SERVICE, client_id: client.client_id, client_name: 'Renamed service' };
      const answer = await manage(
        client.registration_client_uri,
        client.registration_access_token,
        'PUT',
        update,
      );
      expect(answer.status).toBe(200);
      const updated = answer.body as Registered;
      expect(updated).toMatchObject({ client_id: client.client_id, client_name: 'Renamed service' });
      // The secret is kept; the registration access token is a new one, the old one is dead.
      expect(updated.client_secret).toBe(client.client_secret);
      expect(updated.registration_access_token).not.toBe(client.registration_access_token);
      const old = await manage(client.registration_client_uri, client.registration_access_token, 'GET');
      expect(old.status).toBe(401);
      expect((await node.services.clients.findMetadata(client.client_id))?.client_name).toBe(
        'Renamed service',
      );
      client = updated;
    });

    it('deletes the client: it can no longer authenticate, nor be read', async () => {
      expect((await clientCredentials(node, client)).status).toBe(200);
      const deleted = await manage(
        client.registration_client_uri,
        client.registration_access_token,
        'DELETE',
      );
      expect(deleted.status).toBe(204);
      expect(await node.services.clients.findMetadata(client.client_id)).toBeNull();
      const read = await manage(client.registration_client_uri, client.registration_access_token, 'GET');
      expect(read.status).toBe(401);
      const auth = await clientCredentials(node, client);
      expect(auth.status).toBe(401);
      expect(auth.body).toMatchObject({ error: 'invalid_client' });
    });

    it('cannot manage a client an operator created (no registration access token)', async () => {
      const answer = await manage(`${node.issuer}/reg/demo-web`, client.registration_access_token, 'GET');
      expect(answer.status).toBe(401);
    });
  });
});

// Two nodes share a database only on PostgreSQL (an embedded test database is each node's own, in memory).
const describeOnPostgres = usingPostgres ? describe : describe.skip;

describeOnPostgres('two nodes on one database', () => {
  const nodes = useTwoNodes(ROOMY);

  it('a client registered on A works on B; deleted on A, it is refused on B', async () => {
    const { a, b } = nodes;
    const { token } = await createRegistrationToken(a.provider);
    // A token created on one node registers on the other: it is stored, not held in memory.
    const created = await register(b, SERVICE, token);
    expect(created.status).toBe(201);
    const client = created.body as Registered;
    expect((await clientCredentials(a, client)).status).toBe(200);
    expect((await clientCredentials(b, client)).status).toBe(200);

    // Managed through A (registration_client_uri names B's issuer; the path is the same).
    const onA = client.registration_client_uri.replace(b.issuer, a.issuer);
    const deleted = await manage(onA, client.registration_access_token, 'DELETE');
    expect(deleted.status).toBe(204);
    let answer = await clientCredentials(b, client);
    for (let i = 0; answer.status === 200 && i < 50; i += 1) {
      await sleep(100);
      answer = await clientCredentials(b, client);
    }
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: 'invalid_client' });
  });
});

describe('CLIENT_REGISTRATION=open', () => {
  let node: TestServer;
  beforeAll(async () => {
    node = await startTestServer({ env: { ...ROOMY, CLIENT_REGISTRATION: 'open' } });
  });
  afterAll(() => node?.stop());

  it('registers without a token, within the policy', async () => {
    const rp = await oidc.dynamicClientRegistration(
      new URL(node.issuer),
      { ...SERVICE, grant_types: ['client_credentials'] },
      undefined,
      insecure,
    );
    const client = rp.clientMetadata() as unknown as Registered;
    expect((await clientCredentials(node, client)).status).toBe(200);
    const refused = await register(node, { ...SERVICE, scope: 'admin' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'invalid_client_metadata' });
    // RFC 7592 still needs the client's own registration access token.
    const read = await manage(client.registration_client_uri, 'guess', 'GET');
    expect(read.status).toBe(401);
  });
});

describe('CLIENT_REGISTRATION=off', () => {
  let node: TestServer;
  beforeAll(async () => {
    node = await startTestServer({ env: { CLIENT_REGISTRATION: 'off' } });
  });
  afterAll(() => node?.stop());

  it('has no registration endpoint, in discovery or on the wire', async () => {
    expect(await discovery(node)).not.toHaveProperty('registration_endpoint');
    const answer = await register(node, SERVICE);
    expect(answer.status).toBe(404);
  });
});

describe('RATE_LIMIT_CLIENT_REGISTRATION', () => {
  let node: TestServer;
  beforeAll(async () => {
    node = await startTestServer({ env: { RATE_LIMIT_CLIENT_REGISTRATION: '3/3600' } });
  });
  afterAll(() => node?.stop());

  it('answers 429 once a source used up its registrations, whatever their answers', async () => {
    const { token } = await createRegistrationToken(node.provider);
    expect((await register(node, SERVICE, token)).status).toBe(201);
    expect((await register(node, SERVICE, 'wrong')).status).toBe(401);
    expect((await register(node, '[]', token)).status).toBe(400);
    const refused = await register(node, SERVICE, token);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error: 'too_many_requests',
      error_description: expect.stringMatching(/^too many client registrations; retry after \d+ s$/),
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Reading a client is not a registration.
    expect((await discovery(node)).registration_endpoint).toBeDefined();
  });
});
