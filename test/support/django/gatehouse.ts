/**
 * The Gatehouse side of the DOT end-to-end tests: one database shared by a test node (DJANGO_COMPAT
 * on) and the real CLI (`gatehouse import django`), and reads of what the import stored.
 *
 * With PostgreSQL the CLI runs while the node runs. The embedded database is single-process, so
 * there the node is stopped around each CLI run and started again on the same directory.
 */
import type { Knex } from 'knex';
import { loadConfig } from '../../../src/config';
import { openDatabase } from '../../../src/db/database';
import { createCliDatabase, type CliDatabase, type CliResult } from '../cli';
import { usingPostgres } from '../database';
import { startTestServer, type TestServer } from '../server';

export const COMPAT_ENV = { DJANGO_COMPAT: 'true' };

export interface StoredAccount {
  username: string;
  password_hash: string | null;
  disabled: boolean;
  email: string | null;
  given_name: string | null;
  family_name: string | null;
  roles: string[];
}

export interface Counts {
  accounts: number;
  clients: number;
  roles: number;
  accountRoles: number;
  links: number;
  payloads: number;
}

export class GatehouseRig {
  server: TestServer | undefined;

  private constructor(readonly cli: CliDatabase) {}

  static async create(): Promise<GatehouseRig> {
    return new GatehouseRig(await createCliDatabase(COMPAT_ENV));
  }

  get issuer(): string {
    if (!this.server) throw new Error('the Gatehouse node is not running');
    return this.server.issuer;
  }

  async start(): Promise<TestServer> {
    this.server = await startTestServer({
      database: this.cli.database,
      port: this.cli.port,
      env: COMPAT_ENV,
    });
    return this.server;
  }

  async stopServer(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
  }

  /** `gatehouse …args`: beside the running node on PostgreSQL, with the node stopped on PGlite. */
  async run(args: string[]): Promise<CliResult> {
    const running = Boolean(this.server);
    if (usingPostgres || !running) return this.cli.run(args, { timeoutMs: 120_000 });
    await this.stopServer();
    try {
      return await this.cli.run(args, { timeoutMs: 120_000 });
    } finally {
      await this.start();
    }
  }

  /** The node's own pool while it runs, else a pool of its own for the call. */
  async withDb<T>(fn: (db: Knex) => Promise<T>): Promise<T> {
    if (this.server) return fn(this.server.services.db);
    const db = await openDatabase(loadConfig(this.cli.env).database);
    try {
      return await fn(db);
    } finally {
      await db.destroy();
    }
  }

  async account(username: string): Promise<StoredAccount | undefined> {
    return this.withDb(async (db) => {
      const row = (await db('accounts')
        .whereRaw('lower(username) = lower(?)', [username])
        .first('id', 'username', 'password_hash', 'disabled', 'email', 'given_name', 'family_name')) as
        (Omit<StoredAccount, 'roles'> & { id: string }) | undefined;
      if (!row) return undefined;
      const roles = (await db('account_roles').where({ account_id: row.id }).orderBy('role_name')).map(
        (r: { role_name: string }) => r.role_name,
      );
      const { id: _id, ...rest } = row;
      return { ...rest, roles };
    });
  }

  async client(
    clientId: string,
  ): Promise<{ metadata: Record<string, unknown>; secret_hash: string | null } | undefined> {
    return this.withDb(async (db) =>
      db('clients').where({ client_id: clientId }).first('metadata', 'secret_hash'),
    );
  }

  async counts(): Promise<Counts> {
    return this.withDb(async (db) => {
      const count = async (table: string) => Number((await db(table).count({ n: '*' }))[0]!.n);
      return {
        accounts: await count('accounts'),
        clients: await count('clients'),
        roles: await count('roles'),
        accountRoles: await count('account_roles'),
        links: await count('import_links'),
        payloads: await count('oidc_payloads'),
      };
    });
  }

  async close(): Promise<void> {
    await this.stopServer();
    await this.cli.drop();
  }
}
