/**
 * `gatehouse user …` and `gatehouse role …` through the real CLI: passwords from stdin and from a
 * terminal without echo, roles, disabling and unlocking, --json shapes, exit codes.
 */
import { spawn } from 'node:child_process';
import { loadConfig } from '../../src/config';
import { openServices } from '../../src/services';
import { CLI, createCliDatabase, expectOneLineError, type CliDatabase } from '../support/cli';

interface UserJson {
  id: string;
  username: string;
  email: string | null;
  email_verified: boolean;
  roles: string[];
  disabled: boolean;
  created_at: string;
  updated_at: string;
}

let cli: CliDatabase;

beforeAll(async () => {
  cli = await createCliDatabase({ LOCKOUT_MAX_ATTEMPTS: '2' });
});

afterAll(async () => {
  await cli?.drop();
});

/** Checks a password with the account store itself (the CLI is not running: one process at a time). */
async function authenticate(username: string, password: string): Promise<string> {
  const services = await openServices(loadConfig(cli.env));
  try {
    const result = await services.accounts.authenticate(username, password);
    return result.ok ? 'ok' : result.reason;
  } finally {
    await services.db.destroy();
  }
}

describe('role', () => {
  it('creates roles and lists them; a bad name is exit code 2, a duplicate exit code 1', async () => {
    expect(await cli.run(['role', 'create', 'staff', '--description', 'Employees'])).toEqual({
      code: 0,
      stdout: 'created role staff\n',
      stderr: '',
    });
    expect(await cli.json(['role', 'create', 'auditor'])).toEqual({
      name: 'auditor',
      description: null,
      members: 0,
    });
    expectOneLineError(await cli.run(['role', 'create', 'staff']), 1, /role staff already exists/);
    const bad = await cli.run(['role', 'create', 'Not A Role']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a role name: Not A Role/);
    expect(await cli.json(['role', 'list'])).toEqual([
      { name: 'auditor', description: null, members: 0 },
      { name: 'staff', description: 'Employees', members: 0 },
    ]);
  });
});

describe('user create', () => {
  it('reads the password from stdin with --password-stdin and prints the user', async () => {
    const result = await cli.run(
      ['user', 'create', 'Bob', '--email', 'bob@example.com', '--role', 'staff', '--password-stdin'],
      { input: 'correct horse\n' },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^created user: Bob\nid:\s+[0-9a-f-]{36}\nemail:\s+bob@example.com\nroles:\s+staff\n$/,
    );
    expect(await authenticate('bob', 'correct horse')).toBe('ok');
  });

  it('--json gives the account', async () => {
    const user = await cli.json<UserJson>(['user', 'create', 'carol', '--password-stdin'], {
      input: 'carolpass1',
    });
    expect(user).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      username: 'carol',
      email: null,
      email_verified: false,
      roles: [],
      disabled: false,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
  });

  it('asks twice on a terminal, without echoing the password', async () => {
    // `script` gives the CLI a pseudo-terminal, as an operator's shell would.
    const child = spawn(
      'script',
      ['-qec', `"${process.execPath}" "${CLI}" user create dave --json`, '/dev/null'],
      {
        env: { PATH: process.env.PATH ?? '', ...cli.env },
      },
    );
    let output = '';
    const waitFor = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${text}" in: ${output}`)), 90000);
        const check = () => {
          if (!output.includes(text)) return;
          clearTimeout(timer);
          child.stdout.off('data', check);
          resolve();
        };
        child.stdout.on('data', check);
        check();
      });
    child.stdout.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor('Password: ');
    child.stdin.write('dave-secret-1\r');
    await waitFor('Repeat password: ');
    child.stdin.write('dave-secret-1\r');
    expect(await exited).toBe(0);
    expect(output).not.toContain('dave-secret-1');
    expect(output).toMatch(/"username": "dave"/);
    expect(await authenticate('dave', 'dave-secret-1')).toBe('ok');
    // The embedded database takes seconds to open per process; under load, more.
  }, 180000);

  it('refuses bad usage with exit code 2 and other failures with exit code 1', async () => {
    const noTerminal = await cli.run(['user', 'create', 'erin']);
    expect(noTerminal).toEqual({
      code: 2,
      stdout: '',
      stderr: 'gatehouse: no terminal to ask for the password: pipe it in with --password-stdin\n',
    });
    const short = await cli.run(['user', 'create', 'erin', '--password-stdin'], { input: 'short\n' });
    expect(short).toMatchObject({
      code: 2,
      stderr: 'gatehouse: the password must have at least 8 characters\n',
    });
    expect(
      (await cli.run(['user', 'create', '-bad name', '--password-stdin'], { input: 'longenough' })).code,
    ).toBe(2);
    expect(
      (
        await cli.run(['user', 'create', 'erin', '--email', 'nope', '--password-stdin'], {
          input: 'longenough',
        })
      ).code,
    ).toBe(2);
    expect((await cli.run(['user', 'create'])).stderr).toMatch(/missing required argument 'username'/);

    expectOneLineError(
      await cli.run(['user', 'create', 'BOB', '--password-stdin'], { input: 'longenough' }),
      1,
      /^gatehouse: user BOB already exists$/m,
    );
    expectOneLineError(
      await cli.run(['user', 'create', 'erin', '--role', 'ghost', '--password-stdin'], {
        input: 'longenough',
      }),
      1,
      /no role ghost: create it first with `gatehouse role create ghost`/,
    );
  });
});

describe('user list, set-password, roles, disable, enable, unlock', () => {
  it('lists users as a table and as JSON, a page at a time', async () => {
    const table = await cli.run(['user', 'list']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^USERNAME\s+ID\s+EMAIL\s+ROLES\s+STATUS$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['Bob', 'carol', 'dave']);
    expect(lines[1]).toMatch(/^Bob\s+[0-9a-f-]{36}\s+bob@example.com\s+staff\s+active$/);

    const page = await cli.run(['user', 'list', '--limit', '2', '--json']);
    expect(JSON.parse(page.stdout).map((u: UserJson) => u.username)).toEqual(['Bob', 'carol']);
    expect(page.stderr).toBe('(first 2; more with --after carol)\n');
    const next = await cli.json<UserJson[]>(['user', 'list', '--after', 'carol']);
    expect(next.map((u) => u.username)).toEqual(['dave']);
    expect((await cli.run(['user', 'list', '--limit', '0'])).code).toBe(2);
  });

  it('sets a password from stdin; an unknown user is exit code 1', async () => {
    expect(
      await cli.run(['user', 'set-password', 'carol', '--password-stdin'], { input: 'new-carol-pass\n' }),
    ).toEqual({
      code: 0,
      stdout: 'changed the password of carol\n',
      stderr: '',
    });
    expect(await authenticate('carol', 'new-carol-pass')).toBe('ok');
    expectOneLineError(
      await cli.run(['user', 'set-password', 'nobody', '--password-stdin'], { input: 'whatever1' }),
      1,
      /^gatehouse: no user nobody$/m,
    );
  });

  it('shows, adds and removes roles; an unknown role is refused', async () => {
    expect(await cli.run(['user', 'roles', 'bob'])).toEqual({ code: 0, stdout: 'Bob: staff\n', stderr: '' });
    const changed = await cli.json(['user', 'roles', 'bob', '--add', 'auditor', '--remove', 'staff']);
    expect(changed).toEqual({ id: expect.any(String), username: 'Bob', roles: ['auditor'] });
    expectOneLineError(await cli.run(['user', 'roles', 'bob', '--add', 'ghost']), 1, /no role ghost/);
    expect(await cli.json(['role', 'list'])).toEqual([
      { name: 'auditor', description: null, members: 1 },
      { name: 'staff', description: 'Employees', members: 0 },
    ]);
  });

  it('disables and enables a user', async () => {
    expect(await cli.run(['user', 'disable', 'carol'])).toEqual({
      code: 0,
      stdout: 'disabled carol\n',
      stderr: '',
    });
    expect(await authenticate('carol', 'new-carol-pass')).toBe('disabled');
    expect(await cli.json(['user', 'enable', 'carol'])).toEqual({
      id: expect.any(String),
      username: 'carol',
      disabled: false,
    });
    expect(await authenticate('carol', 'new-carol-pass')).toBe('ok');
    expectOneLineError(await cli.run(['user', 'disable', 'nobody']), 1, /no user nobody/);
  });

  it('unlocks a user locked out by failed sign-ins', async () => {
    expect(await authenticate('dave', 'wrong-1')).toBe('invalid_credentials');
    expect(await authenticate('dave', 'wrong-2')).toBe('locked');
    expect(await authenticate('dave', 'dave-secret-1')).toBe('locked');
    expect(await cli.json(['user', 'unlock', 'dave'])).toEqual({
      id: expect.any(String),
      username: 'dave',
      was_locked: true,
      locked: false,
    });
    expect(await authenticate('dave', 'dave-secret-1')).toBe('ok');
    expect(await cli.run(['user', 'unlock', 'dave'])).toEqual({
      code: 0,
      stdout: 'dave was not locked (failures cleared)\n',
      stderr: '',
    });
  });
});
