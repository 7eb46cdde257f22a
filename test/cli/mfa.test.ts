/**
 * `gatehouse user mfa` and `gatehouse user mfa-reset` through the real CLI, beside a real server on
 * the same database: the factors a user enrolled through the account API, the reset that removes
 * them and revokes the user's tokens (introspection says inactive), its audit line, exit codes.
 *
 * With PostgreSQL the CLI runs while the server runs; the embedded database is single-process, so
 * there the server is stopped around each CLI run and started again on the same directory.
 */
import { generate } from 'otplib';
import { createCliDatabase, expectOneLineError, type CliDatabase, type CliResult } from '../support/cli';
import { usingPostgres } from '../support/database';
import { TEST_PASSWORD } from '../support/fixtures';
import { isActive } from '../support/http';
import { startTestServer, type TestServer } from '../support/server';
import { accessToken } from '../support/tokens';

let cli: CliDatabase;
let server: TestServer | undefined;

const now = () => Math.floor(Date.now() / 1000);

async function start(): Promise<TestServer> {
  server = await startTestServer({ database: cli.database, port: cli.port });
  return server;
}

async function runBeside(args: string[], env?: Record<string, string>): Promise<CliResult> {
  if (usingPostgres) return cli.run(args, env ? { env } : {});
  await server?.stop();
  server = undefined;
  const result = await cli.run(args, env ? { env } : {});
  await start();
  return result;
}

async function jsonBeside<T = Record<string, unknown>>(args: string[]): Promise<T> {
  const result = await runBeside([...args, '--json']);
  if (result.code !== 0)
    throw new Error(`gatehouse ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

async function call(token: string, method: string, path: string, json?: unknown) {
  const res = await fetch(`${server!.issuer}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(json ? { 'content-type': 'application/json' } : {}) },
    body: json ? JSON.stringify(json) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  cli = await createCliDatabase();
  await start();
});

afterAll(async () => {
  await server?.stop();
  await cli?.drop();
});

// On the embedded database every command stops and restarts the node around it: six restarts.
it('shows the factors enrolled through the API, resets them and revokes the tokens', async () => {
  await server!.services.accounts.create({ username: 'dora', password: TEST_PASSWORD });
  const token = await accessToken(server!.issuer, 'openid account', { username: 'dora' });
  const enrollment = await call(token, 'POST', '/api/account/mfa/totp');
  const secret = enrollment.body.secret as string;
  const verified = await call(token, 'POST', '/api/account/mfa/totp/verify', {
    code: await generate({ secret, epoch: now() }),
  });
  expect(verified.status).toBe(200);

  const shown = await runBeside(['user', 'mfa', 'dora']);
  expect(shown).toMatchObject({ code: 0, stderr: '' });
  expect(shown.stdout).toMatch(
    /^user: +dora\nauthenticator app: +active since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\npasskeys: +0\nrecovery codes left: +10\n$/,
  );
  expect(shown.stdout).not.toContain(secret);

  const json = await jsonBeside(['user', 'mfa', 'dora']);
  expect(json).toEqual({
    id: expect.any(String),
    username: 'dora',
    totp: { status: 'active', created_at: expect.any(String), activated_at: expect.any(String) },
    passkeys: [],
    recovery_codes_remaining: 10,
  });
  expect(await isActive(server!.issuer, token)).toBe(true);

  const reset = await runBeside(['user', 'mfa-reset', 'dora'], { LOG_LEVEL: 'info' });
  expect(reset.code).toBe(0);
  expect(reset.stdout).toBe(
    "removed from dora: authenticator app (active), 10 recovery codes\nrevoked dora's sessions, grants and tokens\n",
  );
  // The audit line: JSON on stderr (stdout is the result), naming the account and the operator.
  const audit = reset.stderr
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.event === 'mfa.reset');
  expect(audit).toEqual([
    expect.objectContaining({
      level: 30,
      event: 'mfa.reset',
      account_id: json.id,
      actor: expect.stringMatching(/^cli:/),
    }),
  ]);
  expect(await isActive(server!.issuer, token)).toBe(false);

  expect(await jsonBeside(['user', 'mfa', 'dora'])).toMatchObject({
    totp: null,
    passkeys: [],
    recovery_codes_remaining: 0,
  });
  expect(await jsonBeside(['user', 'mfa-reset', 'dora'])).toEqual({
    id: json.id,
    username: 'dora',
    removed: { totp: false, passkeys: 0, recovery_codes: 0 },
    tokens_revoked: true,
  });
  const nothing = await runBeside(['user', 'mfa-reset', 'dora']);
  expect(nothing).toEqual({
    code: 0,
    stdout: "dora had no second factors\nrevoked dora's sessions, grants and tokens\n",
    stderr: '',
  });
}, 180_000);

it('exits 1 with one line for an unknown user, 2 without a username', async () => {
  expectOneLineError(await runBeside(['user', 'mfa', 'nobody']), 1, /no user nobody/);
  expectOneLineError(await runBeside(['user', 'mfa-reset', 'nobody']), 1, /no user nobody/);
  expect((await cli.run(['user', 'mfa-reset'])).code).toBe(2);
});

it('documents both commands with an example', async () => {
  const help = await cli.run(['user', '--help']);
  expect(help.stdout).toMatch(/mfa <username> +show a user's second factors/);
  expect(help.stdout).toMatch(/mfa-reset <username> +remove all of a user's second factors/);
  const reset = await cli.run(['user', 'mfa-reset', '--help']);
  expect(reset.code).toBe(0);
  expect(reset.stdout).toContain('$ gatehouse user mfa-reset alice');
});
