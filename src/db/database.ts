/**
 * One Knex instance for the configured database: a pg pool for DATABASE_URL, or the embedded PGlite
 * (real PostgreSQL compiled to WASM) on disk under DATA_DIR, or in memory. Both run the same migrations.
 */
import fs from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import type { DatabaseConfig } from '../config';

/** Where migrations and seeds live: the repository root, in src/ and in dist/ alike. */
export const ROOT_DIR = path.resolve(__dirname, '..', '..');
export const MIGRATIONS_DIR = path.join(ROOT_DIR, 'migrations');
export const SEEDS_DIR = path.join(ROOT_DIR, 'seeds');

export type Database = Knex;

export interface DatabaseOptions {
  /** An already running PGlite instance to use instead of opening one (tests share one per file). */
  pglite?: unknown;
}

export function knexConfig(config: DatabaseConfig, options: DatabaseOptions = {}): Knex.Config {
  const common: Knex.Config = {
    migrations: { directory: MIGRATIONS_DIR, tableName: 'knex_migrations', loadExtensions: ['.js'] },
    seeds: { directory: SEEDS_DIR, loadExtensions: ['.js'] },
  };
  if (config.kind === 'postgres') {
    return {
      ...common,
      client: 'pg',
      connection: config.url,
      pool: { min: 0, max: config.poolMax },
    };
  }
  // knex-pglite's module export is the client class itself.
  const ClientPGLite = require('knex-pglite');
  if (options.pglite)
    return { ...common, client: ClientPGLite, connection: { pglite: options.pglite } as never };
  if (config.dataDir) {
    const dir = path.join(config.dataDir, 'pgdata');
    fs.mkdirSync(dir, { recursive: true });
    return { ...common, client: ClientPGLite, connection: { filename: dir } as never };
  }
  return { ...common, client: ClientPGLite, connection: {} };
}

export function createDatabase(config: DatabaseConfig, options: DatabaseOptions = {}): Database {
  return knex(knexConfig(config, options));
}

/** Runs every pending migration; forward-only. Returns the names applied. */
export async function migrate(db: Database): Promise<string[]> {
  const [, applied] = (await db.migrate.latest()) as [number, string[]];
  return applied;
}

/** True when the database answers a trivial query within the timeout. */
export async function isReady(db: Database, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
    });
    await Promise.race([db.raw('select 1'), timeout]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
