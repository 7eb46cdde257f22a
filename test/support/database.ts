/**
 * A fresh database per test file: with DATABASE_URL, a new PostgreSQL database on that server
 * (dropped afterwards); without it, the embedded PGlite in memory or in a temporary directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { loadConfig, type DatabaseConfig } from '../../src/config';
import { createDatabase, migrate, type Database } from '../../src/db/database';

export const usingPostgres = Boolean(process.env.DATABASE_URL);

export interface TestDatabase {
  /** Environment variables that point the config at this database. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

function adminUrl(): string {
  return process.env.DATABASE_URL!;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * `persistent`: for the embedded database, keep data on disk (so a test can restart the server on it).
 * `embedded`: the embedded database even when the suite runs on PostgreSQL (tests of PGlite's files).
 */
export async function createTestDatabase(
  options: { persistent?: boolean; embedded?: boolean } = {},
): Promise<TestDatabase> {
  if (usingPostgres && !options.embedded) {
    const name = `gatehouse_test_${randomBytes(6).toString('hex')}`;
    await adminQuery(`create database ${name}`);
    const url = new URL(adminUrl());
    url.pathname = `/${name}`;
    return {
      env: { DATABASE_URL: url.toString() },
      drop: () => adminQuery(`drop database if exists ${name} with (force)`),
    };
  }
  if (!options.persistent) return { env: { DATA_DIR: ':memory:' }, drop: async () => {} };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-test-'));
  return {
    env: { DATA_DIR: dir },
    drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export interface MigratedDatabase {
  db: Database;
  /** The configuration `db` was built from (another pool on the same database is built from it). */
  config: DatabaseConfig;
  /** Closes the pool and drops the database. */
  close(): Promise<void>;
}

/** A fresh database of the run's kind with every migration applied, for tests below the HTTP layer. */
export async function openMigratedDatabase(): Promise<MigratedDatabase> {
  const database = await createTestDatabase();
  const config = loadConfig({ NODE_ENV: 'test', ...database.env }).database;
  const db = createDatabase(config);
  await migrate(db);
  return {
    db,
    config,
    async close() {
      await db.destroy();
      await database.drop();
    },
  };
}
