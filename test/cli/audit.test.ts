/**
 * The CLI's changes in the audit trail, and `gatehouse audit list|tail`, run as an operator runs
 * them (the built CLI, a child process per command): each change recorded once with the CLI and
 * the OS user as actor, no secret anywhere; list's filters and its usage errors; tail printing the
 * last events, then following new ones until SIGINT.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { CLI, createCliDatabase, expectOneLineError, type CliDatabase } from '../support/cli';
import { startTestServer, type TestServer } from '../support/server';

jest.setTimeout(120_000);

let cli: CliDatabase;

interface Event {
  id: string;
  type: string;
  actor: { type: string; id: string | null };
  target: { type: string; id: string | null } | null;
  data: Record<string, unknown>;
}

const osUser = os.userInfo().username;
const PASSWORD = 'a-Long-cli-Password-7';

beforeAll(async () => {
  cli = await createCliDatabase();
});

afterAll(async () => {
  await cli?.drop();
});

it('records each CLI change once, the CLI and the OS user as actor, never a secret', async () => {
  const user = await cli.json<{ id: string }>(['user', 'create', 'carol', '--password-stdin'], {
    input: `${PASSWORD}\n`,
  });
  await cli.json(['role', 'create', 'ops']);
  await cli.json(['user', 'roles', 'carol', '--add', 'ops']);
  await cli.json(['user', 'disable', 'carol']);
  const client = await cli.json<{ client_id: string; client_secret: string }>([
    'client',
    'create',
    '--name',
    'Audited',
    '--grant',
    'client_credentials',
  ]);
  // A taken username fails and records nothing.
  const taken = await cli.run(['user', 'create', 'carol', '--password-stdin'], { input: `${PASSWORD}\n` });
  expect(taken.code).toBe(1);

  const events = await cli.json<Event[]>(['audit', 'list', '--limit', '200']);
  const ofCarol = events.filter((e) => e.target?.id === user.id).reverse();
  expect(ofCarol.map(({ type, actor, data }) => ({ type, actor, data }))).toEqual([
    { type: 'user.created', actor: { type: 'cli', id: osUser }, data: { username: 'carol', roles: [] } },
    {
      type: 'user.roles_changed',
      actor: { type: 'cli', id: osUser },
      data: { added: ['ops'], removed: [] },
    },
    { type: 'user.disabled', actor: { type: 'cli', id: osUser }, data: {} },
  ]);
  expect(events.filter((e) => e.type === 'client.created' && e.target?.id === client.client_id)).toHaveLength(
    1,
  );
  const whole = JSON.stringify(events);
  expect(whole).not.toContain(client.client_secret);
  expect(whole).not.toContain(PASSWORD);
});

it('records keys rotated and retired, a secret rotated, a service key made and revoked', async () => {
  const first = await cli.json<{ created: string[] }>(['keys', 'rotate']);
  const second = await cli.json<{ created: string[] }>(['keys', 'rotate']);
  const retiring = first.created[0]!;
  await cli.json(['keys', 'retire', retiring]);
  const client = await cli.json<{ client_id: string }>([
    'client',
    'create',
    '--name',
    'Keys',
    '--grant',
    'client_credentials',
  ]);
  const rotated = await cli.json<{ client_secret: string }>(['client', 'rotate-secret', client.client_id]);
  const key = await cli.json<{ id: string; key: string }>(['service-key', 'create', client.client_id]);
  await cli.json(['service-key', 'revoke', key.id]);

  const events = await cli.json<Event[]>(['audit', 'list', '--limit', '200']);
  const of = (id: string) =>
    events
      .filter((e) => e.target?.id === id)
      .map((e) => e.type)
      .reverse();
  for (const kid of [...first.created.slice(1), ...second.created]) expect(of(kid)).toEqual(['key.rotated']);
  expect(of(retiring)).toEqual(['key.rotated', 'key.retired']);
  expect(events.filter((e) => e.type === 'key.retired')).toHaveLength(1);
  expect(of(client.client_id)).toEqual(['client.created', 'client.secret_rotated']);
  expect(of(key.id)).toEqual(['service_key.created', 'service_key.revoked']);
  expect(events.every((e) => e.actor.type === 'cli' && e.actor.id === osUser)).toBe(true);
  const whole = JSON.stringify(events);
  expect(whole).not.toContain(rotated.client_secret);
  expect(whole).not.toContain(key.key);
});

it('lists by type and actor, one line per event, and refuses bad filters as usage errors', async () => {
  const plain = await cli.run(['audit', 'list', '--type', 'user.*', '--actor', osUser]);
  expect(plain.code).toBe(0);
  const lines = plain.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^TIME\s+TYPE\s+ACTOR\s+TARGET\s+IP$/);
  expect(lines.slice(1)).toHaveLength(3);
  expect(lines[1]).toMatch(
    new RegExp(
      `^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\s+user\\.disabled\\s+cli:${osUser}\\s+account:[0-9a-f-]{36}\\s+-$`,
    ),
  );
  const none = await cli.json<Event[]>(['audit', 'list', '--actor', 'nobody']);
  expect(none).toEqual([]);

  expectOneLineError(
    await cli.run(['audit', 'list', '--since', 'yesterday']),
    2,
    /--since: must be an ISO 8601/,
  );
  expectOneLineError(
    await cli.run(['audit', 'list', '--type', 'user.nonsense']),
    2,
    /--type: unknown event type/,
  );
  expectOneLineError(
    await cli.run(['audit', 'list', '--limit', '500']),
    2,
    /--limit: must be a whole number/,
  );
});

it('pages with --cursor, the next cursor on stderr', async () => {
  const first = await cli.run(['audit', 'list', '--limit', '2', '--json']);
  const cursor = /--cursor (\S+)\)/.exec(first.stderr)?.[1];
  expect(cursor).toBeDefined();
  const second = await cli.json<Event[]>(['audit', 'list', '--limit', '2', '--cursor', cursor!]);
  const firstIds = (JSON.parse(first.stdout) as Event[]).map((e) => Number(e.id));
  expect(second.length).toBeGreaterThan(0);
  expect(Math.max(...second.map((e) => Number(e.id)))).toBeLessThan(Math.min(...firstIds));
});

describe('tail', () => {
  let server: TestServer;

  // A running server owns the embedded database and serves it: the tail and the other commands
  // reach it through its socket, as they would in production.
  beforeAll(async () => {
    server = await startTestServer({ database: cli.database, port: cli.port });
  });

  afterAll(() => server?.stop());

  it('prints the last events, follows new ones as JSON lines, and stops on SIGINT', async () => {
    const child = spawn(
      process.execPath,
      [CLI, 'audit', 'tail', '--type', 'user.*', '--lines', '2', '--interval', '200', '--json'],
      { env: { PATH: process.env.PATH ?? '', ...cli.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const lines = () =>
      stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Event);
    const waitFor = async (n: number) => {
      for (let i = 0; i < 200 && lines().length < n; i += 1) await new Promise((r) => setTimeout(r, 100));
      if (lines().length < n) throw new Error(`tail printed ${stdout} ${stderr}`);
    };
    try {
      await waitFor(2);
      // The last two user events, oldest first.
      expect(lines().map((e) => e.type)).toEqual(['user.roles_changed', 'user.disabled']);
      await cli.json(['user', 'enable', 'carol']);
      await cli.json(['role', 'create', 'not-a-user-event']);
      await cli.json(['user', 'roles', 'carol', '--remove', 'ops']);
      await waitFor(4);
      expect(lines().map((e) => e.type)).toEqual([
        'user.roles_changed',
        'user.disabled',
        'user.enabled',
        'user.roles_changed',
      ]);
      expect(lines()[3]!.actor).toEqual({ type: 'cli', id: osUser });
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(lines()).toHaveLength(4);
  });
});
