// @ts-check
/**
 * The demo data (README "Demo data"): two users, five clients and one service key. Idempotent: what
 * exists is left as it is. The server runs it on the first start of an empty database outside
 * production; `npm run db:seed` runs it through the knex CLI.
 */
const { createHash } = require('node:crypto');
const bcrypt = require('bcrypt');

const SCOPE = 'openid offline_access profile email phone address roles profile:write admin';
const OTP_GRANT = 'urn:gatehouse:params:oauth:grant-type:otp';

const USERS = [
  {
    id: '6f1f4b5e-7d51-4d8a-9a0e-1d0c6a1f0001',
    username: 'admin',
    password: 'adminpass',
    email: 'admin@example.com',
    given_name: 'Ada',
    family_name: 'Admin',
    phone_number: '+15550100001',
    locale: 'en',
    roles: ['admin'],
  },
  {
    id: '6f1f4b5e-7d51-4d8a-9a0e-1d0c6a1f0002',
    username: 'alice',
    password: 'alicepass',
    email: 'alice@example.com',
    given_name: 'Alice',
    family_name: 'Liddell',
    phone_number: '+15550100002',
    locale: 'en',
    address: { street_address: '1 Rabbit Hole', locality: 'Oxford', postal_code: 'OX1 1AA', country: 'GB' },
    roles: ['user'],
  },
];

/** @type {Array<Record<string, unknown> & { client_id: string }>} */
const CLIENTS = [
  {
    client_id: 'demo-web',
    client_name: 'Demo Web App',
    client_secret: 'demo-web-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['http://localhost:8080/callback'],
    post_logout_redirect_uris: ['http://localhost:8080/'],
    scope: SCOPE,
  },
  {
    client_id: 'demo-spa',
    client_name: 'Demo Single-Page App',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['http://localhost:5173/callback'],
    post_logout_redirect_uris: ['http://localhost:5173/'],
    scope: SCOPE,
  },
  {
    client_id: 'demo-service',
    client_name: 'Demo Service',
    client_secret: 'demo-service-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    // An API of its own that calls others for its callers: it exchanges their tokens (RFC 8693).
    grant_types: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'],
    response_types: [],
    redirect_uris: [],
  },
  {
    client_id: 'demo-cli',
    client_name: 'Demo CLI',
    client_secret: 'demo-cli-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['password', OTP_GRANT, 'refresh_token'],
    response_types: [],
    redirect_uris: [],
    // A first-party client: it may also manage the account's own sign-in (second factors).
    scope: `${SCOPE} account`,
    first_party: true,
  },
  {
    // A device without a browser (RFC 8628): a public client, polling with its client_id only.
    client_id: 'demo-device',
    client_name: 'Demo Device',
    token_endpoint_auth_method: 'none',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    response_types: [],
    redirect_uris: [],
    scope: 'openid profile email offline_access',
  },
];

const SERVICE_KEYS = [
  { id: '6f1f4b5e-7d51-4d8a-9a0e-1d0c6a1f1001', client_id: 'demo-cli', key: 'demo-service-key' },
];

/** APIs (resource servers, RFC 8707): a client asking for one gets a token for its audience. */
const RESOURCE_SERVERS = [
  {
    identifier: 'https://api.example.com',
    name: 'Demo API',
    scopes: ['read', 'write'],
    format: 'jwt',
    ttl_seconds: 600,
  },
];

const ROLES = [
  { name: 'admin', description: 'Administers Gatehouse' },
  { name: 'user', description: 'A signed-up user' },
];

/**
 * @param {import('knex').Knex} knex
 * @param {{ bcryptCost?: number }} [options]
 */
async function seedDemo(knex, options = {}) {
  const cost = options.bcryptCost ?? 10;
  await knex('roles').insert(ROLES).onConflict('name').ignore();
  for (const { password, roles, address, ...user } of USERS) {
    const existing = await knex('accounts').whereRaw('lower(username) = ?', [user.username]).first('id');
    if (existing) continue;
    const password_hash = await bcrypt.hash(password, cost);
    await knex('accounts').insert({
      ...user,
      password_hash,
      email_verified: true,
      phone_number_verified: true,
      address: address ? JSON.stringify(address) : null,
    });
    await knex('account_roles').insert(roles.map((role_name) => ({ account_id: user.id, role_name })));
  }
  for (const client of CLIENTS) {
    await knex('clients')
      .insert({ client_id: client.client_id, metadata: JSON.stringify(client) })
      .onConflict('client_id')
      .ignore();
  }
  for (const { key, ...serviceKey } of SERVICE_KEYS) {
    const key_hash = createHash('sha256').update(key, 'utf8').digest('hex');
    await knex('service_keys')
      .insert({ ...serviceKey, key_hash, prefix: key.slice(0, 12) })
      .onConflict('id')
      .ignore();
  }
  for (const api of RESOURCE_SERVERS) {
    await knex('resource_servers')
      .insert({ ...api, scopes: JSON.stringify(api.scopes) })
      .onConflict('identifier')
      .ignore();
  }
}

/** The knex CLI's entry point (`npx knex seed:run`). */
/** @param {import('knex').Knex} knex */
exports.seed = async function seed(knex) {
  if (process.env.NODE_ENV === 'production')
    throw new Error('the demo data is refused with NODE_ENV=production');
  await seedDemo(knex, { bcryptCost: Number(process.env.BCRYPT_COST) || 10 });
};

exports.seedDemo = seedDemo;
exports.DEMO = { USERS, CLIENTS, SERVICE_KEYS, ROLES, SCOPE, OTP_GRANT, RESOURCE_SERVERS };
