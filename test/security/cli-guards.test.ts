/**
 * The CLI holds the same guards as the admin API: the shared client-metadata rules (production
 * refuses plain-http redirect URIs), and `user set-password` / `user disable` end every token and
 * session of the account at once.
 */
import { createCliDatabase, type CliDatabase } from '../support/cli';
import { ALICE } from '../support/fixtures';
import { startTestServer } from '../support/server';
import { passwordGrant } from '../support/tokens';
import { expectTokensEnded } from './support';

let cli: CliDatabase;

beforeAll(async () => {
  cli = await createCliDatabase();
  expect((await cli.run(['db', 'seed'])).code).toBe(0);
});

afterAll(async () => {
  await cli?.drop();
});

const PRODUCTION = {
  NODE_ENV: 'production',
  ISSUER: 'https://id.example.com',
  SECRET_KEY: 'a-production-secret-of-more-than-thirty-two-characters',
  SEED_DEMO: 'false',
  BCRYPT_COST: '10',
  OTP_DELIVERY: 'disabled',
};

it('refuses a plain-http redirect URI in production, and allows a loopback one', async () => {
  const refused = await cli.run(
    ['client', 'create', '--name', 'Web', '--redirect-uri', 'http://app.example.com/cb'],
    { env: PRODUCTION },
  );
  expect({ code: refused.code, stdout: refused.stdout }).toEqual({ code: 2, stdout: '' });
  expect(refused.stderr).toContain(
    '--redirect-uri: must use https in production (loopback http is allowed): http://app.example.com/cb',
  );
  const native = await cli.run(
    [
      'client',
      'create',
      '--name',
      'Native',
      '--public',
      '--redirect-uri',
      'http://127.0.0.1:7777/cb',
      '--json',
    ],
    { env: PRODUCTION },
  );
  expect(native.code).toBe(0);
});

it.each([
  ['user set-password alice --password-stdin', 'a-new-password-1\n'],
  ['user disable alice', ''],
])('`gatehouse %s` ends the tokens of the account', async (command, input) => {
  // Tokens issued by a running node; the node stops (the embedded database has one owner at a time).
  expect((await cli.run(['user', 'enable', 'alice'])).code).toBe(0);
  let node = await startTestServer({ database: cli.database, port: cli.port });
  const tokens = await passwordGrant(node.issuer, { scope: 'openid offline_access' });
  expect(tokens.status).toBe(200);
  await node.close();

  const result = await cli.run(command.split(' '), { input });
  expect(result.code).toBe(0);
  if (command.startsWith('user set-password')) {
    // Put the demo password back for the next case.
    expect(
      (await cli.run(['user', 'set-password', 'alice', '--password-stdin'], { input: `${ALICE.password}\n` }))
        .code,
    ).toBe(0);
  }

  node = await startTestServer({ database: cli.database, port: cli.port });
  try {
    await expectTokensEnded(node.issuer, {
      access: tokens.body.access_token as string,
      refresh: tokens.body.refresh_token as string,
    });
  } finally {
    await node.close();
  }
});
