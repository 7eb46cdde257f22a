/**
 * `gatehouse import django`, the orchestration: groups, users, applications, then tokens, each kind
 * in one transaction of its own (all of a kind or none of it), each planned inside its transaction
 * after an advisory lock (PostgreSQL §9.27.10), so that a second import running at the same time
 * waits and then plans from what the first wrote: a second run updates, never duplicates. A dry run
 * plans exactly the same way and writes nothing.
 */
import type { Knex } from 'knex';
import type { StoredClient } from '../../clients/store';
import type { ClientPolicy, ClientSchemaCheck } from '../../clients/validate';
import type { Database } from '../../db/database';
import { ImportLinks } from '../links';
import { planApplications, writeApplications, type ApplicationsReport } from './applications';
import { planGroups, writeGroups, type GroupsReport } from './groups';
import type { DjangoSnapshot } from './source';
import type { TokenImportOptions, TokenImportReport, TokenImportTargets } from './tokens';
import { planUsers, writeUsers, type UserImportOptions, type UsersReport } from './users';

export const IMPORT_SOURCE = 'django';

// Any constant of its own (KeyStore's is 72616401, the token writer's 72616416).
const IMPORT_LOCK = 72616415;

export type ImportKind = 'groups' | 'users' | 'applications' | 'tokens';

export interface DjangoImportDeps {
  db: Database;
  policy: ClientPolicy;
  checkSchema: ClientSchemaCheck;
  extraScopes: readonly string[];
  /** Writes a client in the transaction (the client store on it: its notification goes at commit). */
  saveClient(trx: Knex.Transaction, metadata: StoredClient, secretHash: string | null): Promise<void>;
  /** Carries the tokens over (tokens.ts importDjangoTokens with its writer); absent: --no-tokens. */
  importTokens?: (
    snapshot: DjangoSnapshot,
    targets: TokenImportTargets,
    options: TokenImportOptions,
  ) => Promise<TokenImportReport>;
}

export interface DjangoImportOptions extends UserImportOptions {
  dryRun: boolean;
  onProgress?: (kind: ImportKind, done: number, total: number) => void;
}

export interface DjangoImportReport {
  source: string;
  dryRun: boolean;
  groups: GroupsReport;
  users: UsersReport;
  applications: ApplicationsReport;
  /** null with --no-tokens. */
  tokens: TokenImportReport | null;
  /** DOT's ID tokens: not carried over (relying parties keep the ones they hold; new ones come from Gatehouse). */
  idTokens: number;
  /** Django user id -> Gatehouse account (`sub`), every user with an account: the subject map. */
  subjects: { djangoUserId: string; username: string; sub: string }[];
}

export class ImportWriteError extends Error {
  constructor(kind: ImportKind, cause: unknown) {
    // The database's own first line (a constraint's name, never a bound value: knex sends them apart).
    const reason =
      cause instanceof Error ? (cause.message.split('\n')[0] ?? '').replace(/^.* - /, '') : String(cause);
    super(`importing ${kind} failed, none of them were written: ${reason}`);
    this.name = 'ImportWriteError';
  }
}

async function inTransaction<T>(
  db: Database,
  kind: ImportKind,
  work: (trx: Knex.Transaction) => Promise<T>,
): Promise<T> {
  try {
    return await db.transaction(async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(?)', [IMPORT_LOCK]);
      return work(trx);
    });
  } catch (err) {
    throw new ImportWriteError(kind, err);
  }
}

export async function importDjango(
  deps: DjangoImportDeps,
  snapshot: DjangoSnapshot,
  options: DjangoImportOptions,
): Promise<DjangoImportReport> {
  const links = new ImportLinks(deps.db, IMPORT_SOURCE);
  const write = !options.dryRun;
  const progress = (kind: ImportKind) => (done: number, total: number) =>
    options.onProgress?.(kind, done, total);

  const groups = await inTransaction(deps.db, 'groups', async (trx) => {
    const plan = await planGroups(trx, links.in(trx), snapshot.groups);
    if (write) await writeGroups(trx, links.in(trx), plan);
    return plan;
  });
  const users = await inTransaction(deps.db, 'users', async (trx) => {
    const plan = await planUsers(trx, links.in(trx), snapshot.users, groups, options);
    if (write) await writeUsers(trx, links.in(trx), plan, progress('users'));
    return plan;
  });
  const applications = await inTransaction(deps.db, 'applications', async (trx) => {
    const plan = await planApplications(trx, links.in(trx), snapshot.applications, deps);
    if (write) await writeApplications(trx, links.in(trx), plan, deps.saveClient, progress('applications'));
    return plan;
  });
  const tokens = deps.importTokens
    ? await deps.importTokens(
        snapshot,
        {
          accountIdByUserId: users.accountIdByUserId,
          clientIdByApplicationId: applications.clientIdByApplicationId,
        },
        {
          dryRun: options.dryRun,
          onProgress: progress('tokens'),
          plannedClients: new Map(applications.writes.map((w) => [w.metadata.client_id, w.metadata])),
        },
      )
    : null;

  return {
    source: snapshot.origin,
    dryRun: options.dryRun,
    groups: groups.report,
    users: users.report,
    applications: applications.report,
    tokens,
    idTokens: snapshot.idTokens.length,
    subjects: [...users.accountIdByUserId].map(([djangoUserId, sub]) => ({
      djangoUserId,
      username: users.usernames.get(djangoUserId)!,
      sub,
    })),
  };
}
