/**
 * Is the database migrated? The migrations directory (what this version of Gatehouse expects)
 * against knex's table of completed migrations. Read directly, not through `db.migrate.list()`,
 * which creates knex's tables when they are missing: the doctor writes nothing.
 */
import fs from 'node:fs';
import { MIGRATIONS_DIR, type Database } from '../../db/database';
import { count, ok, serious, warning, type Finding } from './finding';

const TABLE = 'knex_migrations';
const LOCK_TABLE = 'knex_migrations_lock';

export interface MigrationState {
  /** How many migrations the database has run: none means an empty database, with nothing to check. */
  applied: number;
  pending: string[];
  findings: Finding[];
}

/** The migrations of this version, in the order knex runs them (its loadExtensions: .js). */
export function migrationFiles(): string[] {
  return fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((file) => file.endsWith('.js'))
    .sort();
}

async function completedMigrations(db: Database): Promise<string[]> {
  if (!(await db.schema.hasTable(TABLE))) return [];
  const rows = await db<{ name: string }>(TABLE).orderBy('id').select('name');
  return rows.map((row) => row.name);
}

async function lockHeld(db: Database): Promise<boolean> {
  if (!(await db.schema.hasTable(LOCK_TABLE))) return false;
  const row = await db<{ is_locked: number }>(LOCK_TABLE).first('is_locked');
  return Number(row?.is_locked ?? 0) === 1;
}

export async function checkMigrations(db: Database): Promise<MigrationState> {
  const files = migrationFiles();
  const completed = await completedMigrations(db);
  const done = new Set(completed);
  const known = new Set(files);
  const pending = files.filter((file) => !done.has(file));
  const unknown = completed.filter((name) => !known.has(name));
  const findings: Finding[] = [];
  if (pending.length)
    findings.push(
      serious(
        'database.migrations',
        `${pending.length} of ${count(files.length, 'migration')} not applied (${pending.at(-1)}${
          pending.length > 1 ? ' and earlier' : ''
        }): run \`gatehouse db migrate\` (a server also migrates at its start)`,
        { applied: completed.length, pending },
      ),
    );
  else
    findings.push(
      ok('database.migrations', `all ${files.length} migrations applied (latest ${files.at(-1)})`, {
        applied: completed.length,
        pending: [],
      }),
    );
  if (unknown.length)
    findings.push(
      warning(
        'database.migrations_unknown',
        `the database has ${count(unknown.length, 'migration')} this version does not have (a newer version ran on it): ${unknown.join(', ')}`,
        { unknown },
      ),
    );
  if (await lockHeld(db))
    findings.push(
      warning(
        'database.migrations_locked',
        'the migration lock is held: a migration is running now, or one was killed (then `npx knex migrate:unlock`)',
      ),
    );
  return { applied: completed.length, pending, findings };
}
