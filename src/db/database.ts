/**
 * One Knex instance for the configured database: a pg pool for DATABASE_URL, or the embedded PGlite
 * (real PostgreSQL compiled to WASM) on disk under DATA_DIR (owner-only: data-dir.ts), or in memory.
 * Both run the same migrations. On disk, one process owns the files and serves them to the others
 * (embedded/open.ts), so a DATA_DIR is opened with `openDatabase`, which may wait or connect.
 */
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { ConfigError, type DatabaseConfig } from '../config';
import { knexLog, type Logger } from '../log';
import type { EmbeddedConnection, EmbeddedRole } from './embedded/open';
import { NAMED_STATEMENTS } from './prepared';

/** Where migrations and seeds live: the repository root, in src/ and in dist/ alike. */
export const ROOT_DIR = path.resolve(__dirname, '..', '..');
export const MIGRATIONS_DIR = path.join(ROOT_DIR, 'migrations');
export const SEEDS_DIR = path.join(ROOT_DIR, 'seeds');

export type Database = Knex;

/** A pool or a transaction: what a write runs on when the caller may already hold a transaction. */
export type Executor = Database | Knex.Transaction;

export interface DatabaseOptions {
  /** An already running PGlite instance to use instead of opening one (tests share one per file). */
  pglite?: unknown;
  /** Where knex's own warnings go (its `log` option); without one, knex prints to the console. */
  logger?: Logger;
  /**
   * What this process is to a DATA_DIR it comes to own: a `server` (the default) serves the files to
   * other processes while it runs; a `command` keeps them to itself for its short run.
   */
  role?: EmbeddedRole;
  /** For a server on a DATA_DIR: its owner process ended while it runs (embedded/owner-process.ts). */
  onOwnerLost?: (err: Error) => void;
}

let pgliteClientClass: unknown;

/**
 * knex-pglite's client (its module export is the class itself), with one fix: it names a delete's
 * command after knex's method (`DEL`), so knex's postgres dialect does not recognise it as a DELETE
 * and hands back the raw result instead of the affected-row count. Renaming the method restores
 * the count, so `await query.delete()` is a number on both databases.
 */
function pgliteClient(): unknown {
  if (!pgliteClientClass) {
    const Base = require('knex-pglite') as new (...args: unknown[]) => {
      processResponse(obj: { method?: string }, runner: unknown): unknown;
    };
    class GatehousePGlite extends Base {
      override processResponse(obj: { method?: string }, runner: unknown): unknown {
        return super.processResponse(obj?.method === 'del' ? { ...obj, method: 'delete' } : obj, runner);
      }
    }
    pgliteClientClass = GatehousePGlite;
  }
  return pgliteClientClass;
}

/**
 * How long a query waits for a pooled connection (knex's default is 60 s). A refused connection fails
 * at once (knex's propagateCreateError); this bounds the rest: a server that does not answer the
 * connect, or a pool exhausted by a stalled server. 5 s is far above the wait of a busy but healthy
 * pool (queries take milliseconds) and below the timeouts of HTTP clients and load balancers, so a
 * request during an outage gets its 503 (db/unavailable.ts) instead of hanging.
 */
export const ACQUIRE_CONNECTION_TIMEOUT_MS = 5000;

export function knexConfig(config: DatabaseConfig, options: DatabaseOptions = {}): Knex.Config {
  const common: Knex.Config = {
    migrations: { directory: MIGRATIONS_DIR, tableName: 'knex_migrations', loadExtensions: ['.js'] },
    seeds: { directory: SEEDS_DIR, loadExtensions: ['.js'] },
    ...(options.logger ? { log: knexLog(options.logger) } : {}),
    // A failed query's message gets its SQL with placeholders, not the values (token ids, names):
    // a connection error's message is logged as it is.
    compileSqlOnError: false,
  };
  if (config.kind === 'postgres') {
    return {
      ...common,
      client: 'pg',
      connection: config.url,
      pool: { min: 0, max: config.poolMax },
      acquireConnectionTimeout: ACQUIRE_CONNECTION_TIMEOUT_MS,
    };
  }
  const ClientPGLite = pgliteClient();
  if (options.pglite)
    return {
      ...common,
      client: ClientPGLite as Knex.Config['client'],
      connection: { pglite: options.pglite } as never,
    };
  if (config.dataDir)
    throw new ConfigError(
      `DATA_DIR: ${config.dataDir} has one owner process; open it with openDatabase, which takes its lock`,
    );
  return { ...common, client: ClientPGLite as Knex.Config['client'], connection: {} };
}

/**
 * How many connections a process keeps to an owner's socket. PGlite runs one statement at a time
 * whatever the count, and a transaction holds the session to itself (embedded/session-queue.ts), so
 * more connections only move the waiting from knex's pool into the owner's queue.
 */
const SOCKET_POOL_MAX = 4;

/** Knex's view of an embedded database this process owns or reaches through its owner's socket. */
export function embeddedKnexConfig(embedded: EmbeddedConnection, options: DatabaseOptions = {}): Knex.Config {
  if (embedded.kind === 'pglite')
    return knexConfig({ kind: 'embedded', dataDir: null }, { ...options, pglite: embedded.pglite });
  // The owner's socket is PostgreSQL to knex: the pg client, its pool and its timeouts.
  const pg = knexConfig({ kind: 'postgres', url: '', poolMax: SOCKET_POOL_MAX }, options);
  // Every connection shares the owner's one session: no statement names (db/prepared.ts).
  return { ...pg, connection: embedded.connection, [NAMED_STATEMENTS]: false } as Knex.Config;
}

/** A database on PostgreSQL, in memory, or on a given PGlite instance; a DATA_DIR needs openDatabase. */
export function createDatabase(config: DatabaseConfig, options: DatabaseOptions = {}): Database {
  return knex(knexConfig(config, options));
}

/** Knex's configuration for a database this process opened, and how to close what it holds. */
export interface OpenedKnexConfig {
  knex: Knex.Config;
  /** Stops serving an embedded database, closes its files and releases its lock (nothing for the rest). */
  close(): Promise<void>;
}

/**
 * The configuration of any configured database, opened: what both this process's knex instance and
 * the knex CLI (knexfile.js) are built from, so both reach the same database the same way. For a
 * DATA_DIR: takes its lock and opens the files, or connects to its owner's socket (embedded/open.ts).
 */
export async function openKnexConfig(
  config: DatabaseConfig,
  options: DatabaseOptions = {},
): Promise<OpenedKnexConfig> {
  if (config.kind !== 'embedded' || !config.dataDir || options.pglite)
    return { knex: knexConfig(config, options), close: async () => undefined };
  // Required here, as knex-pglite is, so that a node on PostgreSQL never loads PGlite.
  const { openEmbedded } = require('./embedded/open') as typeof import('./embedded/open');
  const embedded = await openEmbedded(config.dataDir, {
    role: options.role ?? 'server',
    ...(options.onOwnerLost ? { onOwnerLost: options.onOwnerLost } : {}),
  });
  try {
    return { knex: embeddedKnexConfig(embedded, options), close: () => embedded.close() };
  } catch (err) {
    await embedded.close();
    throw err;
  }
}

/**
 * Any configured database (openKnexConfig). `destroy()` also closes what opening it holds (for a
 * DATA_DIR: stops serving, closes the files and releases the lock), so every caller that closes its
 * database closes all of it.
 */
export async function openDatabase(config: DatabaseConfig, options: DatabaseOptions = {}): Promise<Database> {
  if (config.kind !== 'embedded' || !config.dataDir || options.pglite) return createDatabase(config, options);
  const opened = await openKnexConfig(config, options);
  let db: Database;
  try {
    db = knex(opened.knex);
  } catch (err) {
    await opened.close();
    throw err;
  }
  // knex.destroy() is a read-only property that ends in its client's destroy(): hooked there.
  const client = db.client as { destroy(callback?: unknown): Promise<void> };
  const destroy = client.destroy.bind(client);
  let closing: Promise<void> | undefined;
  client.destroy = (callback?: unknown) => {
    closing ??= destroy(callback).finally(() => opened.close());
    return closing;
  };
  return db;
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
