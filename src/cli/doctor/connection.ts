/**
 * The doctor's database: opened as every command opens it (openDatabase: for a DATA_DIR, the
 * single-owner rule of db/embedded/open.ts), but never migrated, so that pending migrations are
 * reported instead of applied. On PostgreSQL the connect and each statement are bounded, so that a
 * database that does not answer is a finding within seconds, not a hang.
 */
import fs from 'node:fs';
import path from 'node:path';
import knex from 'knex';
import type { Config } from '../../config';
import { knexConfig, openDatabase, type Database } from '../../db/database';
import { unavailabilityReason } from '../../db/unavailable';
import { createLogger } from '../../log';
import { finding, serious, type Finding } from './finding';

/** The folder under DATA_DIR that holds PostgreSQL's files (db/data-dir.ts). */
const PGDATA = 'pgdata';

/** How long the first connection may take before the database counts as unreachable. */
export const CONNECT_TIMEOUT_MS = 3000;
/** A check's statement that runs longer is cancelled by the server (each is an index scan or a count). */
const STATEMENT_TIMEOUT_MS = 15000;

/** Where the database is, for a person, without credentials. */
export function describeDatabase(config: Config): string {
  const database = config.database;
  if (database.kind === 'embedded') return `the embedded database (${database.dataDir ?? 'in memory'})`;
  const url = new URL(database.url);
  return `PostgreSQL at ${url.host}${url.pathname}`;
}

function open(config: Config): Promise<Database> {
  // knex's own warnings would land in the command's output.
  const logger = createLogger('silent');
  const database = config.database;
  if (database.kind !== 'postgres') return openDatabase(database, { logger, role: 'command' });
  const base = knexConfig(database, { logger });
  return Promise.resolve(
    knex({
      ...base,
      pool: { min: 0, max: 2 },
      acquireConnectionTimeout: CONNECT_TIMEOUT_MS,
      connection: {
        connectionString: database.url,
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        statement_timeout: STATEMENT_TIMEOUT_MS,
      },
    }),
  );
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * An error in one line, as the CLI prints errors: the driver's text without the SQL knex puts before
 * it (`select … - relation "x" does not exist`); pg puts no connection string in its messages.
 */
export function errorText(err: unknown): string {
  const message = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
  return message.split(' - ').at(-1) || message;
}

export type Connected = { db: Database; finding: Finding } | { db: null; finding: Finding };

/** Opens the database and asks it `select 1`: the `database.reachable` finding, and the database if it answered. */
export async function connect(config: Config): Promise<Connected> {
  const where = describeDatabase(config);
  let db: Database | undefined;
  const started = Date.now();
  const dataDir = config.database.kind === 'embedded' ? config.database.dataDir : null;
  // Opening a DATA_DIR creates a database there: a doctor run in the wrong folder would report a new,
  // empty one instead of saying that there is none.
  if (dataDir && !fs.existsSync(path.join(dataDir, PGDATA)))
    return {
      db: null,
      finding: serious(
        'database.reachable',
        `no embedded database in DATA_DIR ${dataDir} (no ${PGDATA} folder): is DATA_DIR right? ` +
          'A server creates it at its first start, or `gatehouse db migrate`',
        { reason: 'no_data_dir' },
      ),
    };
  try {
    db = await open(config);
    await within(db.raw('select 1'), CONNECT_TIMEOUT_MS + 1000);
    const ms = Date.now() - started;
    return { db, finding: finding('ok', 'database.reachable', `${where} answered in ${ms} ms`) };
  } catch (err) {
    await db?.destroy().catch(() => undefined);
    const reason = unavailabilityReason(err);
    return {
      db: null,
      finding: serious('database.reachable', `cannot reach ${where}: ${errorText(err)}`, {
        reason: reason ?? 'error',
      }),
    };
  }
}
