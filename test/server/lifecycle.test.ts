/**
 * The process: `node dist/main.js` starts on an empty embedded database with the demo data and prints
 * the issuer, discovery URL and working curl lines; SIGTERM lets in-flight requests finish, then
 * exits 0; a bad variable stops the start with a message naming it.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { DEMO_CLI } from '../support/fixtures';
import { FORM_TYPE, basic, form } from '../support/http';
import { passwordGrantParams } from '../support/tokens';
import { ROOT, startProcess } from '../support/process';
import { freePort, testEnv } from '../support/server';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ persistent: true });
});

afterAll(async () => {
  await database?.drop();
});

it('prints a banner whose curl lines work, finishes in-flight requests on SIGTERM and exits 0', async () => {
  const port = await freePort();
  // A slow hash makes the password grant a request that is still running when the signal comes; the
  // drain waits up to SHUTDOWN_TIMEOUT for it, ample so that a loaded machine does not cut it.
  const env = { BCRYPT_COST: '12', LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT: '30' };
  const node = await startProcess(testEnv(port, database, env), 90_000);
  const banner = node.output();
  expect(banner).toContain(`issuer:    http://127.0.0.1:${port}`);
  expect(banner).toContain(`discovery: http://127.0.0.1:${port}/.well-known/openid-configuration`);
  const curl = banner.split('\n').find((l) => l.includes('grant_type=client_credentials'))!;
  const [, user, secret] = /-u (\S+):(\S+)/.exec(curl)!;
  const cc = await fetch(`http://127.0.0.1:${port}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  expect(cc.status).toBe(200);

  const inFlight = fetch(`http://127.0.0.1:${port}/token`, {
    method: 'POST',
    headers: { authorization: basic(DEMO_CLI.id, DEMO_CLI.secret), ...FORM_TYPE },
    body: form(passwordGrantParams({ scope: 'openid' })),
  });
  await new Promise((r) => setTimeout(r, 50));
  const code = node.stop('SIGTERM');
  const res = await inFlight;
  expect(res.status).toBe(200);
  expect(await res.json()).toHaveProperty('id_token');
  expect(await code).toBe(0);
  // The port is free again: the server closed its listener.
  await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
}, 150_000);

it('refuses to start on a bad variable, naming it, with exit code 2', () => {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'main.js')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: 'not-a-port', DATA_DIR: ':memory:' },
    encoding: 'utf8',
  });
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(/^gatehouse: invalid configuration: PORT: /m);
});
