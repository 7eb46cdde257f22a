/**
 * Clients and users made with the CLI work against a real server on the same database: a
 * client_credentials token, a password-grant token, a rotated secret, a deleted client, rotated keys.
 *
 * With PostgreSQL the CLI runs while the server runs. The embedded database is single-process, so
 * there the server is stopped around each CLI run and started again on the same directory.
 */
import { createCliDatabase, type CliDatabase, type CliResult } from '../support/cli';
import { usingPostgres } from '../support/database';
import { tokenRequest } from '../support/http';
import { startTestServer, type TestServer } from '../support/server';

let cli: CliDatabase;
let server: TestServer | undefined;

async function start(): Promise<TestServer> {
  server = await startTestServer({ database: cli.database, port: cli.port });
  return server;
}

/** Runs the CLI: beside the running server on PostgreSQL, with the server stopped on PGlite. */
async function runBeside(args: string[], input?: string): Promise<CliResult> {
  if (usingPostgres) return cli.run(args, { input: input ?? '' });
  await server?.stop();
  server = undefined;
  const result = await cli.run(args, { input: input ?? '' });
  await start();
  return result;
}

async function token(clientId: string, secret: string, params: Record<string, string>) {
  const { status, body } = await tokenRequest(server!.issuer, params, { id: clientId, secret });
  return { status, body };
}

beforeAll(async () => {
  cli = await createCliDatabase();
});

afterAll(async () => {
  await server?.stop();
  await cli?.drop();
});

it('a client and a user created by the CLI get tokens from a real server', async () => {
  // Before any server has run: the CLI migrates the database itself.
  const service = await cli.json<{ client_id: string; client_secret: string }>([
    'client',
    'create',
    '--name',
    'Billing',
    '--grant',
    'client_credentials',
  ]);
  const app = await cli.json<{ client_id: string; client_secret: string }>([
    'client',
    'create',
    '--name',
    'Mobile',
    '--grant',
    'password',
    '--grant',
    'refresh_token',
    '--first-party',
    '--scope',
    'openid profile offline_access',
  ]);
  await cli.json(['user', 'create', 'mallory', '--password-stdin'], { input: 'mallory-pass\n' });
  await start();

  const machine = await token(service.client_id, service.client_secret, { grant_type: 'client_credentials' });
  expect(machine.status).toBe(200);
  expect(machine.body).toMatchObject({
    token_type: 'Bearer',
    access_token: expect.any(String),
    expires_in: 3600,
  });

  const user = await token(app.client_id, app.client_secret, {
    grant_type: 'password',
    username: 'mallory',
    password: 'mallory-pass',
    scope: 'openid profile offline_access',
  });
  expect(user.status).toBe(200);
  expect(user.body).toMatchObject({
    access_token: expect.any(String),
    id_token: expect.any(String),
    refresh_token: expect.any(String),
  });
});

it('a rotated secret works at once and the old one no longer does; a deleted client gets nothing', async () => {
  const created = await runBeside([
    'client',
    'create',
    '--name',
    'Rotating',
    '--grant',
    'client_credentials',
    '--json',
  ]);
  const { client_id: clientId, client_secret: oldSecret } = JSON.parse(created.stdout);
  expect((await token(clientId, oldSecret, { grant_type: 'client_credentials' })).status).toBe(200);

  const rotated = await runBeside(['client', 'rotate-secret', clientId, '--json']);
  const { client_secret: newSecret } = JSON.parse(rotated.stdout);
  expect((await token(clientId, newSecret, { grant_type: 'client_credentials' })).status).toBe(200);
  const old = await token(clientId, oldSecret, { grant_type: 'client_credentials' });
  expect(old).toMatchObject({ status: 401, body: { error: 'invalid_client' } });

  expect((await runBeside(['client', 'delete', clientId])).code).toBe(0);
  const gone = await token(clientId, newSecret, { grant_type: 'client_credentials' });
  expect(gone).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
});

it('after keys rotate the server publishes the new keys beside the old ones', async () => {
  const jwks = async () => {
    const response = await fetch(`${server!.issuer}/jwks`);
    return ((await response.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();
  };
  const before = await jwks();
  const rotated = await runBeside(['keys', 'rotate', '--json']);
  const { created } = JSON.parse(rotated.stdout) as { created: string[] };
  // A running node notices on its key timer; refreshKeys is that timer's step, taken now.
  await server!.refreshKeys();
  expect(await jwks()).toEqual([...before, ...created].sort());
});
