/**
 * `npm run db:migrate` (the knex CLI through knexfile.js) and `gatehouse db migrate` are one
 * configuration: run one after the other on the same database, they see the same migrations table
 * in the same database, whichever of PostgreSQL or the embedded database the environment names.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCliDatabase, type CliDatabase } from '../support/cli';

const ROOT = path.resolve(__dirname, '..', '..');
const MIGRATIONS = fs.readdirSync(path.join(ROOT, 'migrations')).filter((f) => f.endsWith('.js'));

let cli: CliDatabase;
let other: CliDatabase;
// A directory without a .env: only the test's environment reaches the knexfile.
const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-knex-cwd-'));

beforeAll(async () => {
  cli = await createCliDatabase();
  other = await createCliDatabase();
});

afterAll(async () => {
  await cli?.drop();
  await other?.drop();
  fs.rmSync(cwd, { recursive: true, force: true });
});

/** `npx knex <command>` with the repository's knexfile, as `npm run db:migrate` runs it. */
function knexCli(command: string, on: CliDatabase = cli) {
  const bin = path.join(ROOT, 'node_modules', 'knex', 'bin', 'cli.js');
  return spawnSync(
    process.execPath,
    [bin, command, '--knexfile', path.join(ROOT, 'knexfile.js'), '--cwd', cwd],
    { cwd, env: { PATH: process.env.PATH ?? '', ...on.env }, encoding: 'utf8', timeout: 60_000 },
  );
}

interface Migrated {
  database: string;
  applied: number;
  pending: number;
  latest: string | null;
}

it('agree: after gatehouse db migrate, the knex CLI finds the same migrations applied', async () => {
  // gatehouse migrates first: a knex CLI on another database (or another copy of it) would then find
  // everything pending and run it again.
  const gatehouse = await cli.json<Migrated>(['db', 'migrate']);
  expect(gatehouse).toEqual({
    database: 'DATABASE_URL' in cli.env ? 'postgres' : 'embedded',
    applied: MIGRATIONS.length,
    pending: 0,
    latest: [...MIGRATIONS].sort().at(-1),
  });

  const latest = knexCli('migrate:latest');
  expect({ status: latest.status, stderr: latest.stderr }).toEqual({ status: 0, stderr: '' });
  expect(latest.stdout).toContain('Already up to date');
  const list = knexCli('migrate:list');
  expect(list.status).toBe(0);
  expect(list.stdout).toContain(`Found ${MIGRATIONS.length} Completed Migration file/files.`);
  expect(list.stdout).toContain('No Pending Migration files Found.');

  // And the other way round: what the knex CLI reports is what gatehouse reports.
  expect(await cli.json<Migrated>(['db', 'migrate'])).toEqual(gatehouse);
});

it('agree: what npm run db:migrate and db:seed wrote, gatehouse reads', async () => {
  const migrated = knexCli('migrate:latest', other);
  expect({ status: migrated.status, stderr: migrated.stderr }).toEqual({ status: 0, stderr: '' });
  expect(migrated.stdout).toContain(`Batch 1 run: ${MIGRATIONS.length} migrations`);
  const seeded = knexCli('seed:run', other);
  expect({ status: seeded.status, stderr: seeded.stderr }).toEqual({ status: 0, stderr: '' });

  expect(await other.json<Migrated>(['db', 'migrate'])).toMatchObject({
    applied: MIGRATIONS.length,
    pending: 0,
  });
  // The demo clients the knex CLI seeded are in the database gatehouse opens.
  const clients = await other.json<{ client_id: string }[]>(['client', 'list']);
  expect(clients.map((c) => c.client_id)).toEqual(expect.arrayContaining(['demo-web', 'demo-cli']));
});
