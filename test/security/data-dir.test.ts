/**
 * The embedded database's files: DATA_DIR and every folder below it are 0700, every file 0600
 * (the WAL holds client secrets and password hashes), whatever the process umask; a world-writable
 * DATA_DIR is refused before anything is created in it, by the server and by the knex CLI alike; a
 * data directory left looser by an earlier version is tightened at open. These are about PGlite, so
 * they run on the embedded database even when the suite runs on PostgreSQL.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ROOT } from '../support/process';
import { freePort, startTestServer, testEnv, type TestServer } from '../support/server';

const SLOW = 180_000;

interface Entry {
  path: string;
  kind: 'folder' | 'file';
  mode: string;
}

/** DATA_DIR itself and everything below it, with its permission bits in octal. */
function walk(root: string): Entry[] {
  const entries: Entry[] = [];
  const visit = (target: string) => {
    const stat = fs.lstatSync(target);
    const mode = (stat.mode & 0o777).toString(8).padStart(3, '0');
    const relative = path.relative(root, target) || '.';
    if (stat.isDirectory()) {
      entries.push({ path: relative, kind: 'folder', mode });
      for (const name of fs.readdirSync(target)) visit(path.join(target, name));
    } else entries.push({ path: relative, kind: 'file', mode });
  };
  visit(root);
  return entries;
}

/** The entries that are not private: folders other than 0700, files other than 0600. */
function notPrivate(root: string): Entry[] {
  return walk(root).filter((e) => e.mode !== (e.kind === 'folder' ? '700' : '600'));
}

/** A persistent embedded database whose DATA_DIR does not exist yet (the node creates it). */
async function embeddedDatabase(): Promise<{ database: TestDatabase; dataDir: string }> {
  const base = await createTestDatabase({ persistent: true, embedded: true });
  const dataDir = path.join(base.env.DATA_DIR, 'data');
  return { database: { env: { DATA_DIR: dataDir }, drop: base.drop }, dataDir };
}

describe('a node on a persistent embedded database', () => {
  let database: TestDatabase;
  let dataDir: string;
  let node: TestServer | undefined;
  let umask: number;

  beforeAll(async () => {
    ({ database, dataDir } = await embeddedDatabase());
    // No umask to lean on: whatever PGlite creates must come out private by itself.
    umask = process.umask(0);
  });

  afterAll(async () => {
    process.umask(umask);
    await node?.stop();
    await database?.drop();
  });

  it(
    'keeps DATA_DIR, its folders (0700) and its files (0600) private, while running and after',
    async () => {
      node = await startTestServer({ database });
      expect(node.config.database).toEqual({ kind: 'embedded', dataDir });
      await node.services.accounts.create({ username: 'private-files', password: 'private-files-pass' });
      await node.services.clients.save({
        client_id: 'private-files',
        client_secret: 'private-files-secret',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      });
      await node.services.db.raw('checkpoint');

      expect(walk(dataDir).filter((e) => e.path.startsWith('pgdata/pg_wal/0'))).not.toEqual([]);
      expect(notPrivate(dataDir)).toEqual([]);
      await node.stop();
      node = undefined;
      expect(notPrivate(dataDir)).toEqual([]);
    },
    SLOW,
  );

  it(
    'tightens the 0644 files and 0755 folders an earlier version left, and keeps the data',
    async () => {
      for (const entry of walk(dataDir))
        fs.chmodSync(path.join(dataDir, entry.path), entry.kind === 'folder' ? 0o755 : 0o644);
      expect(notPrivate(dataDir).length).toBeGreaterThan(100);

      node = await startTestServer({ database });
      expect(notPrivate(dataDir)).toEqual([]);
      expect(await node.services.accounts.findByUsername('private-files')).toMatchObject({
        username: 'private-files',
      });
    },
    SLOW,
  );
});

describe('a world-writable DATA_DIR', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-open-'));
    fs.chmodSync(dataDir, 0o777);
  });

  afterEach(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('is refused at start with a message naming DATA_DIR and the path, and nothing is created in it', async () => {
    const database = { env: { DATA_DIR: dataDir }, drop: async () => {} };
    const config = loadConfig(testEnv(await freePort(), database));
    expect(config.database).toEqual({ kind: 'embedded', dataDir });
    const err = await startTestServer({ database }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('ERR_CONFIG');
    expect((err as Error).message).toBe(
      `DATA_DIR: ${dataDir} is writable by every user (mode 0777); the embedded database refuses to ` +
        `live there: choose a folder of its own or make it private (chmod 700 ${dataDir})`,
    );
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('is refused by the knex CLI too, and nothing is created in it', () => {
    const run = knexMigrate(dataDir);
    expect(run.status).not.toBe(0);
    expect(run.stderr + run.stdout).toContain(`DATA_DIR: ${dataDir} is writable by every user (mode 0777)`);
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });
});

/** `npx knex migrate:latest` with no DATABASE_URL: the knexfile's embedded database under `dataDir`. */
function knexMigrate(dataDir: string) {
  return spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'knex', 'bin', 'cli.js'), 'migrate:latest'],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
      encoding: 'utf8',
    },
  );
}

describe('the knex CLI on the embedded database', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-knex-')), 'data');
  });

  afterAll(() => {
    fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
  });

  it(
    'migrates into a private DATA_DIR',
    () => {
      const run = knexMigrate(dataDir);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/Batch 1 run: \d+ migrations/);
      expect(notPrivate(dataDir)).toEqual([]);
    },
    SLOW,
  );
});
