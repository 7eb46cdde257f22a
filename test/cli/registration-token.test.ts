/**
 * `gatehouse client registration-token create`: the initial access token it prints registers a
 * client at a real server on the same database (RFC 7591), and only until it expires.
 *
 * With PostgreSQL the CLI runs while the server runs; the embedded database is single-process, so
 * there the server is started after the CLI ran.
 */
import { createCliDatabase, expectOneLineError, type CliDatabase } from '../support/cli';
import { answerOf, JSON_TYPE } from '../support/http';
import { startTestServer, type TestServer } from '../support/server';

jest.setTimeout(120_000);

let cli: CliDatabase;
let server: TestServer | undefined;

beforeAll(async () => {
  cli = await createCliDatabase();
});

afterAll(async () => {
  await server?.stop();
  await cli?.drop();
});

function register(issuer: string, token: string) {
  return fetch(`${issuer}/reg`, {
    method: 'POST',
    headers: { ...JSON_TYPE, authorization: `Bearer ${token}` },
    body: JSON.stringify({
      client_name: 'From the CLI',
      grant_types: ['client_credentials'],
      response_types: [],
    }),
  }).then(answerOf);
}

it('prints a token once (plain and --json) that registers a client at the server', async () => {
  const before = Date.now();
  const created = await cli.json<{ token: string; expires_at: string }>([
    'client',
    'registration-token',
    'create',
    '--expires-in',
    '3600',
  ]);
  expect(created.token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  const expiresAt = Date.parse(created.expires_at);
  expect(expiresAt).toBeGreaterThanOrEqual(before + 3599_000);
  expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3601_000);

  const plain = await cli.run(['client', 'registration-token', 'create']);
  expect(plain.code).toBe(0);
  expect(plain.stderr).toMatch(/shown only this once/);
  const token = /^token:\s+(\S+)$/m.exec(plain.stdout)?.[1];
  expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  expect(token).not.toBe(created.token);

  server = await startTestServer({ database: cli.database, port: cli.port });
  for (const presented of [created.token, token!]) {
    const answer = await register(server.issuer, presented);
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ client_name: 'From the CLI', client_id: expect.any(String) });
  }
  expect((await register(server.issuer, 'not-a-token')).status).toBe(401);
  // The embedded database is single-process: the CLI runs below with the server stopped.
  await server.stop();
  server = undefined;
});

it('refuses a bad --expires-in as bad usage', async () => {
  for (const value of ['0', '59', 'soon', '99999999999']) {
    const result = await cli.run(['client', 'registration-token', 'create', '--expires-in', value]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/expires-in/);
  }
});

it('refuses when client registration is off', async () => {
  const result = await cli.run(['client', 'registration-token', 'create'], {
    env: { CLIENT_REGISTRATION: 'off' },
  });
  expectOneLineError(result, 1, /client registration is off/);
});
