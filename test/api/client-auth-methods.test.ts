/**
 * Clients registered through the admin API with each RFC 7591 token_endpoint_auth_method
 * authenticate at /token with openid-client's own implementation of it; a client_secret_basic client
 * is held to Basic and a client_secret_post one to the body (token, introspection and revocation
 * endpoints); a client registered for ES256 ID tokens gets them, verifiable with the JWKS.
 */
import { exportJWK, generateKeyPair } from 'jose';
import { ALICE } from '../support/fixtures';
import { basic, form, FORM_TYPE, post } from '../support/http';
import { oidc } from '../support/rp';
import { api, startAdminApiNode, type ApiNode } from './support';

let node: ApiNode;
let admin: string;

beforeAll(async () => {
  ({ node, admin } = await startAdminApiNode());
});

afterAll(() => node?.stop());

interface Registered {
  client_id: string;
  client_secret?: string;
  [field: string]: unknown;
}

async function register(metadata: Record<string, unknown>): Promise<Registered> {
  const res = await api(node, 'POST', '/api/admin/clients', { token: admin, json: metadata });
  expect(res.status).toBe(201);
  return res.body as Registered;
}

async function configuration(clientId: string, auth: oidc.ClientAuth): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(node.issuer), clientId, undefined, auth, {
    execute: [oidc.allowInsecureRequests],
  });
}

/**
 * The OAuth error of a refused request, as openid-client reports it: a ResponseBodyError's `error`,
 * or (a 401 with a Basic challenge) the challenge's `error` parameter.
 */
async function refusal(request: Promise<unknown>): Promise<string | undefined> {
  try {
    await request;
  } catch (err) {
    const { error, cause } = err as { error?: string; cause?: { parameters?: { error?: string } }[] };
    return error ?? (Array.isArray(cause) ? cause[0]?.parameters?.error : undefined);
  }
  return undefined;
}

const SERVICE = { grant_types: ['client_credentials'], scope: 'openid' };

describe('each token_endpoint_auth_method at /token with openid-client', () => {
  it.each([
    ['client_secret_basic', (secret: string) => oidc.ClientSecretBasic(secret)],
    ['client_secret_post', (secret: string) => oidc.ClientSecretPost(secret)],
    ['client_secret_jwt', (secret: string) => oidc.ClientSecretJwt(secret)],
  ])('%s', async (method, auth) => {
    const client = await register({ client_name: method, token_endpoint_auth_method: method, ...SERVICE });
    expect(client).toMatchObject({ token_endpoint_auth_method: method, client_secret_expires_at: 0 });
    const tokens = await oidc.clientCredentialsGrant(
      await configuration(client.client_id, auth(client.client_secret!)),
    );
    expect(tokens.access_token).toEqual(expect.any(String));
    // A wrong secret fails by the same method: the success above was the method's.
    const wrong = await configuration(client.client_id, auth(`${client.client_secret}x`));
    expect(await refusal(oidc.clientCredentialsGrant(wrong))).toBe('invalid_client');
  });

  it('private_key_jwt with a registered public JWK (no secret is issued)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'rp-key-1', alg: 'ES256', use: 'sig' };
    const client = await register({
      client_name: 'Signed assertions',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [jwk] },
      ...SERVICE,
    });
    expect(client).not.toHaveProperty('client_secret');
    expect(client).not.toHaveProperty('client_secret_expires_at');
    expect(client.jwks).toEqual({ keys: [jwk] });
    const tokens = await oidc.clientCredentialsGrant(
      await configuration(client.client_id, oidc.PrivateKeyJwt({ key: privateKey, kid: 'rp-key-1' })),
    );
    expect(tokens.access_token).toEqual(expect.any(String));
    // Another key's assertion is refused.
    const other = await generateKeyPair('ES256');
    const impostor = await configuration(
      client.client_id,
      oidc.PrivateKeyJwt({ key: other.privateKey, kid: 'rp-key-1' }),
    );
    expect(await refusal(oidc.clientCredentialsGrant(impostor))).toBe('invalid_client');
  });
});

describe('the registered secret mechanism is the only one', () => {
  let basicClient: Registered;
  let postClient: Registered;
  beforeAll(async () => {
    basicClient = await register({ client_name: 'Basic only', ...SERVICE });
    postClient = await register({
      client_name: 'Post only',
      token_endpoint_auth_method: 'client_secret_post',
      ...SERVICE,
    });
  });

  const viaBasic = (client: Registered, params: Record<string, string>, path: string) =>
    post(`${node.issuer}${path}`, form(params), {
      ...FORM_TYPE,
      authorization: basic(client.client_id, client.client_secret!),
    });
  const viaBody = (client: Registered, params: Record<string, string>, path: string) =>
    post(
      `${node.issuer}${path}`,
      form({ ...params, client_id: client.client_id, client_secret: client.client_secret! }),
      FORM_TYPE,
    );

  it.each(['/token', '/token/introspection', '/token/revocation'])('at %s', async (path) => {
    const grant = { grant_type: 'client_credentials' };
    const basicToken = (await viaBasic(basicClient, grant, '/token')).body.access_token as string;
    const postToken = (await viaBody(postClient, grant, '/token')).body.access_token as string;
    expect(basicToken).toEqual(expect.any(String));
    expect(postToken).toEqual(expect.any(String));
    const params = (token: string) => (path === '/token' ? grant : { token });

    const mismatch = {
      error: 'invalid_client',
      error_description: 'client authentication failed',
    };
    const basicInBody = await viaBody(basicClient, params(basicToken), path);
    expect({ status: basicInBody.status, body: basicInBody.body }).toEqual({ status: 401, body: mismatch });
    const postInBasic = await viaBasic(postClient, params(postToken), path);
    expect({ status: postInBasic.status, body: postInBasic.body }).toEqual({ status: 401, body: mismatch });

    // Each by its own mechanism succeeds.
    expect((await viaBasic(basicClient, params(basicToken), path)).status).toBe(200);
    expect((await viaBody(postClient, params(postToken), path)).status).toBe(200);
  });
});

describe('id_token_signed_response_alg', () => {
  it('ES256: the ID token is ES256, verified by openid-client against the JWKS', async () => {
    const client = await register({
      client_name: 'EC RP',
      grant_types: ['password'],
      first_party: true,
      scope: 'openid profile',
      id_token_signed_response_alg: 'ES256',
    });
    expect(client.id_token_signed_response_alg).toBe('ES256');
    const config = await configuration(client.client_id, oidc.ClientSecretBasic(client.client_secret!));
    // Verify the ID token's signature with the JWKS (openid-client skips that by default over TLS).
    oidc.enableNonRepudiationChecks(config);
    const tokens = await oidc.genericGrantRequest(config, 'password', {
      username: ALICE.username,
      password: ALICE.password,
      scope: 'openid',
    });
    const [header] = tokens.id_token!.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toMatchObject({ alg: 'ES256' });
    expect(tokens.claims()).toMatchObject({ aud: client.client_id, iss: node.issuer });
  });

  // The provider offers the algorithms of the keys it holds (oidc/keys.ts SIGNING_ALGS: RS256, ES256).
  it('an algorithm the provider holds no key for is refused with 400, naming the field', async () => {
    const res = await api(node, 'POST', '/api/admin/clients', {
      token: admin,
      json: { client_name: 'Ed', ...SERVICE, id_token_signed_response_alg: 'EdDSA' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      error: 'invalid_client_metadata',
      details: { id_token_signed_response_alg: "must be 'RS256' or 'ES256'" },
    });
  });
});
