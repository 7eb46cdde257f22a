/**
 * What every storage contract runs on: a fresh database of the run's kind (the embedded PGlite in
 * memory, or a new PostgreSQL database when DATABASE_URL is set; CI runs the suite both ways), every
 * migration applied, and the store built on it as the node builds it. A contract is written once and
 * holds on either database (Hydra's persistence tests are the model).
 *
 * On PostgreSQL a contract also gets the store built on a second pool to the same database, as a
 * second node has it, for what must hold across nodes; the embedded database has one owner process,
 * so there it is null and those cases are skipped.
 */
import { createDatabase, type Database } from '../../src/db/database';
import { openMigratedDatabase, usingPostgres, type MigratedDatabase } from '../support/database';

export interface Contract<S> {
  /** The database the store is built on (to arrange a row, or to look at one). */
  readonly db: Database;
  /** The store under test. */
  readonly store: S;
  /** The same store on a second pool to the same database (PostgreSQL only, else null). */
  readonly other: S | null;
}

/** `it` on PostgreSQL, `it.skip` on the embedded database: for cases that need a second pool. */
export const itAcrossPools = usingPostgres ? it : it.skip;

/**
 * Opens the database before the file's tests, builds the store with `build`, and closes both after
 * them. Read the returned contract's members inside tests (they exist from the first test on).
 */
export function storeContract<S>(build: (db: Database) => S): Contract<S> {
  let opened: MigratedDatabase | undefined;
  let second: Database | undefined;
  let store: S | undefined;
  let other: S | null = null;

  beforeAll(async () => {
    opened = await openMigratedDatabase();
    store = build(opened.db);
    if (usingPostgres) {
      second = createDatabase(opened.config);
      other = build(second);
    }
  });

  afterAll(async () => {
    await second?.destroy();
    await opened?.close();
  });

  const open = (): MigratedDatabase => {
    if (!opened) throw new Error('the contract database opens in beforeAll');
    return opened;
  };
  return {
    get db() {
      return open().db;
    },
    get store() {
      open();
      return store!;
    },
    get other() {
      open();
      return other;
    },
  };
}
