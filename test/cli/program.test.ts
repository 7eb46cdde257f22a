/**
 * The command line itself: --help with examples on every command, exit codes for bad usage,
 * one-line errors (stack only with --debug). No database is opened by any of these.
 */
import { runCli } from '../support/cli';

const COMMANDS = [
  'client create',
  'client list',
  'client show',
  'client delete',
  'client rotate-secret',
  'client registration-token create',
  'api create',
  'api list',
  'api delete',
  'service-key create',
  'service-key list',
  'service-key revoke',
  'user create',
  'user invite',
  'user list',
  'user set-password',
  'user roles',
  'user disable',
  'user enable',
  'user unlock',
  'role list',
  'role create',
  'keys list',
  'keys rotate',
  'keys retire',
  'db migrate',
  'db seed',
  'db purge',
  'audit list',
  'audit tail',
  'webhook create',
  'webhook list',
  'webhook delete',
  'webhook replay',
  'doctor',
];

// Nothing here may reach a database: a port nobody listens on.
const env = { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', LOG_LEVEL: 'silent' };

it('prints help with examples and the global options for every command', async () => {
  const results = await Promise.all(COMMANDS.map((c) => runCli([...c.split(' '), '--help'], env)));
  results.forEach((result, i) => {
    const command = COMMANDS[i]!;
    expect({ command, code: result.code, stderr: result.stderr }).toEqual({ command, code: 0, stderr: '' });
    expect(result.stdout).toContain(`Usage: gatehouse ${command}`);
    expect(result.stdout).toMatch(/\nExamples:\n {2}\$ gatehouse /);
    expect(result.stdout).toContain('--json');
    expect(result.stdout).toContain('--debug');
  });
});

it('says in the main help where the database comes from and that the embedded one is single-process', async () => {
  const result = await runCli(['--help'], env);
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('DATABASE_URL selects PostgreSQL');
  expect(result.stdout).toContain('The embedded database is\nsingle-process');
  expect(result.stdout).toContain('Exit codes: 0 success, 1 error, 2 bad usage.');
  for (const group of ['client', 'api', 'service-key', 'user', 'role', 'keys', 'db'])
    expect(result.stdout).toMatch(new RegExp(`\\n {2}${group} `));
});

it('exits with 2 on bad usage', async () => {
  const unknown = await runCli(['clinet', 'list'], env);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/unknown command 'clinet'[\s\S]*Did you mean client\?/);
  expect((await runCli(['client'], env)).code).toBe(2);
  expect((await runCli([], env)).code).toBe(2);
  expect((await runCli(['client', 'show'], env)).stderr).toBe(
    "error: missing required argument 'client_id'\n",
  );
  expect((await runCli(['client', 'show', 'a', 'b'], env)).code).toBe(2);
  expect((await runCli(['db', 'purge', '--batch-size', 'lots'], env)).code).toBe(2);
});

it('prints the version', async () => {
  const result = await runCli(['--version'], env);
  expect(result).toEqual({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/), stderr: '' });
});

it('exits with 1 and one line when the database cannot be reached; --debug adds the details', async () => {
  const plain = await runCli(['client', 'list'], env);
  expect(plain).toEqual({
    code: 1,
    stdout: '',
    stderr: expect.stringMatching(/^gatehouse: .*ECONNREFUSED.*\n$/),
  });
  const debug = await runCli(['client', 'list', '--debug'], env);
  expect(debug.code).toBe(1);
  // The error, then its stack; knex's own messages go through the (silent) logger, not stderr.
  expect(debug.stderr).toMatch(/^gatehouse: connect ECONNREFUSED 127.0.0.1:1\nError: connect ECONNREFUSED/);
  expect(debug.stderr).not.toContain('Acquire connection error');
});

it('exits with 1 and names the variable when the configuration is invalid', async () => {
  const result = await runCli(['client', 'list'], { ...env, BCRYPT_COST: 'many' });
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^gatehouse: invalid configuration: BCRYPT_COST: .*\n$/);
});
