// @ts-check
/**
 * The ceiling for the benchmark: oidc-provider on its own, with its in-memory adapter, the same
 * clients and secrets as Gatehouse's demo data, the same token lifetimes and signing algorithms, and
 * the password grant registered with `registerGrantType` against one in-memory user whose password
 * is a bcrypt hash at the same cost. It serves what the bare library can serve: client_credentials,
 * the password grant, refresh_token rotation and introspection.
 *
 * Run by bench/run.js as a child process: PORT and BCRYPT_COST from the environment; prints
 * `bare oidc-provider is listening on <url>` when ready; SIGTERM exits.
 */
const { generateKeyPairSync, randomBytes } = require('node:crypto');
const http = require('node:http');
const bcrypt = require('bcrypt');
const { Provider, errors } = require('oidc-provider');
const { DEMO_API } = require('./lib/load');

const port = Number(process.env.PORT ?? 0);
const cost = Number(process.env.BCRYPT_COST ?? 10);
const issuer = `http://127.0.0.1:${port}`;

const SCOPE = 'openid offline_access profile email phone address roles profile:write admin';
const USER = {
  id: '6f1f4b5e-7d51-4d8a-9a0e-1d0c6a1f0002',
  username: 'alice',
  passwordHash: bcrypt.hashSync('alicepass', cost),
  claims: {
    given_name: 'Alice',
    family_name: 'Liddell',
    name: 'Alice Liddell',
    preferred_username: 'alice',
    locale: 'en',
    email: 'alice@example.com',
    email_verified: true,
  },
};

/** @param {'rsa' | 'ec'} type @param {string} alg */
function signingKey(type, alg) {
  const { privateKey } =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    ...privateKey.export({ format: 'jwk' }),
    kid: `${alg}-${randomBytes(4).toString('hex')}`,
    alg,
    use: 'sig',
  };
}

/** @type {import('oidc-provider').Configuration} */
const configuration = {
  clients: [
    {
      client_id: 'demo-service',
      client_secret: 'demo-service-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: 'demo-cli',
      client_secret: 'demo-cli-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['password', 'refresh_token'],
      response_types: [],
      redirect_uris: [],
      scope: SCOPE,
    },
  ],
  jwks: { keys: [signingKey('rsa', 'RS256'), signingKey('ec', 'ES256')] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  async findAccount(_ctx, sub) {
    if (sub !== USER.id) return undefined;
    return { accountId: USER.id, claims: async () => ({ sub: USER.id, ...USER.claims }) };
  },
  claims: {
    openid: ['sub'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username', 'locale', 'updated_at'],
    email: ['email', 'email_verified'],
  },
  scopes: SCOPE.split(' '),
  rotateRefreshToken: true,
  // Gatehouse's defaults (src/config.ts).
  ttl: {
    // An API's own lifetime for its tokens, as Gatehouse's resource indicators set it.
    AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 3600,
    ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 3600,
    AuthorizationCode: 60,
    IdToken: 3600,
    RefreshToken: 14 * 86400,
    Session: 14 * 86400,
    Interaction: 3600,
    Grant: 14 * 86400,
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    // The same policy as Gatehouse (src/oidc/provider.ts).
    introspection: {
      enabled: true,
      allowedPolicy: async (ctx, client, token) =>
        client.clientAuthMethod !== 'none' || token.clientId === ctx.oidc.client?.clientId,
    },
    revocation: { enabled: true },
    // The demo API as Gatehouse registers it (src/oidc/features/resource-indicators.ts): JWT access
    // tokens (RFC 9068) signed with RS256, for its audience, with its scopes and lifetime.
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, _client, oneOf) => oneOf,
      useGrantedResource: async () => true,
      async getResourceServerInfo(_ctx, resourceIndicator) {
        if (resourceIndicator !== DEMO_API.identifier) throw new errors.InvalidTarget();
        return {
          scope: DEMO_API.scopes.join(' '),
          audience: DEMO_API.identifier,
          accessTokenTTL: DEMO_API.ttlSeconds,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
};

const provider = new Provider(issuer, configuration);

/**
 * The password grant as a bare extension grant: bcrypt compare, then the same issuing order as
 * Gatehouse's src/oidc/grants/issue.ts (Grant, access token, refresh token, ID token).
 * @param {import('oidc-provider').KoaContextWithOIDC} ctx
 */
async function passwordGrant(ctx) {
  const params = /** @type {Record<string, string | undefined>} */ (ctx.oidc.params ?? {});
  const ok =
    params.username === USER.username && (await bcrypt.compare(params.password ?? '', USER.passwordHash));
  if (!ok) throw new errors.InvalidGrant('authentication failed');
  const client = /** @type {NonNullable<typeof ctx.oidc.client>} */ (ctx.oidc.client);
  const allowed = new Set(SCOPE.split(' '));
  const scopes = [...new Set((params.scope ?? 'openid').split(' ').filter((s) => allowed.has(s)))];
  const scope = scopes.join(' ');
  const authTime = Math.floor(Date.now() / 1000);

  const grant = new provider.Grant({ accountId: USER.id, clientId: client.clientId });
  grant.addOIDCScope(scope);
  const grantId = await grant.save();
  const at = new provider.AccessToken({ accountId: USER.id, client, grantId, gty: 'password', scope });
  const accessToken = await at.save();
  let refreshToken;
  if (scopes.includes('offline_access')) {
    const rt = new provider.RefreshToken({
      accountId: USER.id,
      amr: ['pwd'],
      authTime,
      client,
      grantId,
      gty: 'password',
      rotations: 0,
      scope,
    });
    refreshToken = await rt.save();
  }
  let idToken;
  if (scopes.includes('openid')) {
    const token = new provider.IdToken({ sub: USER.id, ...USER.claims }, { ctx });
    /** @type {{ scope?: string }} */ (token).scope = grant.getOIDCScopeFiltered(new Set(scopes));
    token.set('amr', ['pwd']);
    token.set('auth_time', authTime);
    idToken = await token.issue({ use: 'idtoken' });
  }
  ctx.body = {
    access_token: accessToken,
    expires_in: at.expiration,
    ...(idToken ? { id_token: idToken } : {}),
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
    scope: at.scope || undefined,
    token_type: 'Bearer',
  };
}

provider.registerGrantType('password', passwordGrant, ['username', 'password', 'scope']);

const server = http.createServer(provider.callback());
server.keepAliveTimeout = 5000;
server.listen(port, '127.0.0.1', () => {
  console.log(`bare oidc-provider is listening on ${issuer}`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 2000).unref();
});
