/**
 * Client secrets imported as a hash (django-oauth-toolkit ≥ 2.0 stores them hashed by Django's
 * make_password): the provider's client authentication verifies the presented secret in the hash's
 * format when its plain comparison fails (Basic and post alike, at the token and introspection
 * endpoints), then the secret becomes the plain one it compares and the hash is gone, on every node.
 * A wrong secret, or the hash itself presented as the secret, fails and changes nothing; two racing
 * first presentations both succeed.
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { generateSecret } from '../../src/clients/store';
import { usingPostgres } from '../support/database';
import { DEMO_SERVICE } from '../support/fixtures';
import { clientPost, form, FORM_TYPE, post, tokenRequest } from '../support/http';
import { startTestServer, useTwoNodes, type TestServer } from '../support/server';
import { sleep } from '../support/wait';

const CLIENT_ID = 'dot-hashed';
const SECRET = 'dot-2x-plain-secret-0123456789';

/**
 * The secret as Django's PBKDF2PasswordHasher encodes it (django/contrib/auth/hashers.py:
 * `pbkdf2_sha256$<iterations>$<salt>$<base64 of PBKDF2-HMAC-SHA256, 32 bytes>`), with Django 3.2's
 * 260,000 iterations, computed by Node's crypto. The end-to-end suite uses Django's own make_password.
 */
function djangoHash(secret: string): string {
  const salt = randomBytes(16).toString('base64url').replace(/[-_]/g, 'x').slice(0, 22);
  const hash = pbkdf2Sync(secret, salt, 260_000, 32, 'sha256').toString('base64');
  return `pbkdf2_sha256$260000$${salt}$${hash}`;
}

interface Row {
  metadata: { client_secret: string };
  secret_hash: string | null;
}

async function rowOf(node: TestServer): Promise<Row> {
  return node.services.db('clients').select('metadata', 'secret_hash').where('client_id', CLIENT_ID).first();
}

/** The client as the importer writes it: the hash, and a random metadata secret nobody knows. */
async function importHashed(
  node: TestServer,
  method: 'client_secret_basic' | 'client_secret_post' = 'client_secret_basic',
): Promise<string> {
  const hash = djangoHash(SECRET);
  await node.services.clients.saveWithSecretHash(
    {
      client_id: CLIENT_ID,
      client_secret: generateSecret(),
      token_endpoint_auth_method: method,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'openid',
    },
    hash,
  );
  return hash;
}

const credentials = (secret: string) => ({ id: CLIENT_ID, secret });

function clientCredentialsPost(issuer: string, secret: string) {
  const body = form({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: secret });
  return post(`${issuer}/token`, body, FORM_TYPE);
}

describe('on one node', () => {
  let node: TestServer;
  beforeAll(async () => {
    node = await startTestServer();
  });
  afterAll(() => node?.stop());

  it('authenticates with the secret at /token (Basic), then holds it in plain text and no hash', async () => {
    const hash = await importHashed(node);
    const before = await rowOf(node);
    expect(before.secret_hash).toBe(hash);
    const answer = await tokenRequest(node.issuer, { grant_type: 'client_credentials' }, credentials(SECRET));
    expect(answer.status).toBe(200);
    expect(await rowOf(node)).toMatchObject({ secret_hash: null, metadata: { client_secret: SECRET } });
    // The provider's own comparison now matches; by the registered method only (Basic, not the body).
    const again = await tokenRequest(node.issuer, { grant_type: 'client_credentials' }, credentials(SECRET));
    expect(again.status).toBe(200);
    expect((await clientCredentialsPost(node.issuer, SECRET)).status).toBe(401);
    // The random secret the importer stored is no longer the client's either.
    const old = await tokenRequest(
      node.issuer,
      { grant_type: 'client_credentials' },
      credentials(before.metadata.client_secret),
    );
    expect(old.status).toBe(401);
  });

  it('authenticates with the secret in the body (client_secret_post)', async () => {
    await importHashed(node, 'client_secret_post');
    expect((await clientCredentialsPost(node.issuer, SECRET)).status).toBe(200);
    expect((await rowOf(node)).secret_hash).toBeNull();
  });

  it('authenticates a resource server at introspection with its hashed secret', async () => {
    await importHashed(node);
    const service = await tokenRequest(node.issuer, { grant_type: 'client_credentials' }, DEMO_SERVICE);
    const answer = await clientPost(
      `${node.issuer}/token/introspection`,
      { token: service.body.access_token as string },
      credentials(SECRET),
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ active: true, client_id: DEMO_SERVICE.id });
    expect((await rowOf(node)).secret_hash).toBeNull();
  });

  it('refuses a wrong secret, and the hash itself presented as the secret, changing nothing', async () => {
    const hash = await importHashed(node);
    const before = await rowOf(node);
    for (const secret of ['not-the-secret', hash, `${SECRET} `, SECRET.slice(0, -1)]) {
      const answer = await tokenRequest(
        node.issuer,
        { grant_type: 'client_credentials' },
        credentials(secret),
      );
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('invalid_client');
      expect(answer.text).not.toContain(hash);
      expect(answer.text).not.toContain(before.metadata.client_secret);
    }
    expect(await rowOf(node)).toEqual(before);
  });

  it('lets two racing first presentations both succeed, writing the secret once', async () => {
    await importHashed(node);
    const answers = await Promise.all(
      [0, 1].map(() => tokenRequest(node.issuer, { grant_type: 'client_credentials' }, credentials(SECRET))),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(await rowOf(node)).toMatchObject({ secret_hash: null, metadata: { client_secret: SECRET } });
    // The store's compare-and-set directly: one caller writes, the others find the secret written.
    await importHashed(node);
    const results = await Promise.all(
      [0, 1, 2].map(() => node.services.clients.verifyForeignSecret(CLIENT_ID, SECRET)),
    );
    expect(results).toEqual([true, true, true]);
    expect(await node.services.clients.verifyForeignSecret(CLIENT_ID, 'wrong')).toBe(false);
  });

  it('stops verifying the hash once the secret is rotated', async () => {
    await importHashed(node);
    const rotated = await node.services.clients.rotateSecret(CLIENT_ID);
    const answer = await tokenRequest(node.issuer, { grant_type: 'client_credentials' }, credentials(SECRET));
    expect(answer.status).toBe(401);
    const fresh = await tokenRequest(
      node.issuer,
      { grant_type: 'client_credentials' },
      credentials(rotated!),
    );
    expect(fresh.status).toBe(200);
  });
});

const describeOnPostgres = usingPostgres ? describe : describe.skip;

describeOnPostgres('two nodes on one PostgreSQL', () => {
  const nodes = useTwoNodes();

  it('lets the other node, which had the client cached, accept the plain secret after promotion', async () => {
    const { a, b } = nodes;
    await importHashed(a);
    // b reads the client (the random secret) into its cache with a failed attempt.
    const wrong = await tokenRequest(b.issuer, { grant_type: 'client_credentials' }, credentials('wrong'));
    expect(wrong.status).toBe(401);
    expect(b.services.clients.cache.get(CLIENT_ID)?.client_secret).toEqual(expect.any(String));
    expect(
      (await tokenRequest(a.issuer, { grant_type: 'client_credentials' }, credentials(SECRET))).status,
    ).toBe(200);
    // The hash is gone, so b can only accept the secret once it has dropped its stale copy (NOTIFY).
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i += 1) {
      if (i) await sleep(50);
      status = (await tokenRequest(b.issuer, { grant_type: 'client_credentials' }, credentials(SECRET)))
        .status;
    }
    expect(status).toBe(200);
    expect(b.services.clients.cache.get(CLIENT_ID)?.client_secret).toBe(SECRET);
  });
});
