/**
 * `gatehouse import django`: moves users, groups, django-oauth-toolkit applications and live tokens
 * from a Django project into Gatehouse (import/django/import.ts), from its PostgreSQL database
 * (read-only) or from `manage.py dumpdata` output. Idempotent: run it again until cut-over, each run
 * updates what the last created. A progress bar on a terminal; the summary on stdout (--json for
 * scripts); --subject-map writes which Django user became which `sub`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { ROLE_NAME_PATTERN } from '../../accounts/roles';
import { ClientStore } from '../../clients/store';
import { DjangoSourceError } from '../../import/django/errors';
import {
  importDjango,
  ImportWriteError,
  type DjangoImportDeps,
  type DjangoImportReport,
  type ImportKind,
} from '../../import/django/import';
import { readDjangoPostgres } from '../../import/django/read-postgres';
import { readDumpdata } from '../../import/django/read-dumpdata';
import { formatImportReport } from '../../import/django/report';
import type { DjangoSnapshot } from '../../import/django/source';
import { isTimeZone } from '../../import/django/times';
import { importDjangoTokens } from '../../import/django/tokens';
import { action, type CommandContext } from '../context';
import { CliError, refused, usageError } from '../errors';

export interface ImportDjangoOptions {
  databaseUrl?: string;
  dumpdata?: string;
  dryRun?: boolean;
  /** False with --no-tokens. */
  tokens: boolean;
  staffRole?: string;
  allowWeakHashes?: boolean;
  trustEmails?: boolean;
  subjectMap?: string;
  timeZone?: string;
}

/** Tables below this size finish before a bar would be read. */
const BAR_THRESHOLD = 200;

function checkOptions(options: ImportDjangoOptions): void {
  if (Boolean(options.databaseUrl) === Boolean(options.dumpdata))
    throw usageError('give one source: --database-url postgres://… or --dumpdata FILE.json');
  if (options.staffRole !== undefined && !ROLE_NAME_PATTERN.test(options.staffRole))
    throw usageError('--staff-role: lower-case letters, digits and _ . : - (starting with a letter)');
  if (options.timeZone !== undefined && !isTimeZone(options.timeZone))
    throw usageError(`--time-zone: not an IANA time zone name: ${options.timeZone}`);
}

async function readSource(options: ImportDjangoOptions): Promise<DjangoSnapshot> {
  const timeZone = options.timeZone ?? 'UTC';
  try {
    return options.databaseUrl
      ? await readDjangoPostgres(options.databaseUrl, { timeZone })
      : await readDumpdata(options.dumpdata!, { timeZone });
  } catch (err) {
    if (err instanceof DjangoSourceError) throw refused(err.message);
    throw err;
  }
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Writes the map next to its final name, then renames: a reader never sees half of it. */
async function writeSubjectMap(file: string, report: DjangoImportReport): Promise<void> {
  const lines = [
    'django_user_id,username,sub',
    ...report.subjects.map((s) => [s.djangoUserId, s.username, s.sub].map(csvField).join(',')),
  ];
  const partial = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.partial`);
  try {
    await fs.writeFile(partial, `${lines.join('\r\n')}\r\n`, 'utf8');
    await fs.rename(partial, file);
  } catch (err) {
    await fs.rm(partial, { force: true });
    throw new CliError('refused', `cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

function progressBar(ctx: CommandContext) {
  if (!ctx.out.interactive) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({
    format: 'importing {kind} [{bar}] {value}/{total}',
    stream: ctx.out.streams.stderr as NodeJS.WriteStream,
    hideCursor: true,
    clearOnComplete: true,
  });
  let current: ImportKind | null = null;
  return {
    update(kind: ImportKind, done: number, total: number) {
      if (total < BAR_THRESHOLD) return;
      if (current !== kind) {
        if (current) bar.stop();
        bar.start(total, 0, { kind });
        current = kind;
      }
      bar.setTotal(total);
      bar.update(done, { kind });
    },
    stop: () => (current ? bar.stop() : undefined),
  };
}

export async function importDjangoCommand(ctx: CommandContext, options: ImportDjangoOptions): Promise<void> {
  checkOptions(options);
  const snapshot = await readSource(options);
  const services = await ctx.services();
  const { createClientSchemaCheck } = require('../client-schema') as typeof import('../client-schema');
  const checkSchema = createClientSchemaCheck(ctx.config, services);
  let importTokens: DjangoImportDeps['importTokens'];
  if (options.tokens) {
    const { createTokenWriter } = require('../import-provider') as typeof import('../import-provider');
    const writer = createTokenWriter(services);
    importTokens = (source, targets, opts) => importDjangoTokens(writer, source, targets, opts);
  }
  const bar = progressBar(ctx);
  let report: DjangoImportReport;
  try {
    report = await importDjango(
      {
        db: services.db,
        policy: { production: ctx.config.env === 'production' },
        checkSchema,
        extraScopes: ctx.config.extraScopes,
        // A store on the transaction: its write is a savepoint of it, its notification goes at commit.
        saveClient: (trx, metadata, secretHash) =>
          new ClientStore(trx).saveWithSecretHash(metadata, secretHash),
        ...(importTokens ? { importTokens } : {}),
      },
      snapshot,
      {
        dryRun: Boolean(options.dryRun),
        allowWeakHashes: Boolean(options.allowWeakHashes),
        trustEmails: Boolean(options.trustEmails),
        ...(options.staffRole ? { staffRole: options.staffRole } : {}),
        onProgress: (kind, done, total) => bar.update(kind, done, total),
      },
    );
  } catch (err) {
    if (err instanceof ImportWriteError) throw new CliError('refused', err.message);
    throw err;
  } finally {
    bar.stop();
  }
  if (options.subjectMap) {
    if (options.dryRun) ctx.out.note(`dry run: ${options.subjectMap} not written`);
    else await writeSubjectMap(options.subjectMap, report);
  }
  const { subjects, ...summary } = report;
  ctx.out.result({ ...summary, subjects: subjects.length }, () => formatImportReport(report));
}

export function register(parent: Command): void {
  parent
    .command('django')
    .description('import users, groups, django-oauth-toolkit applications and live tokens from Django')
    .option('--database-url <url>', 'the Django database (PostgreSQL), read-only: postgres://user@host/db')
    .option('--dumpdata <file>', 'the output of `manage.py dumpdata auth.user auth.group oauth2_provider`')
    .option('--dry-run', 'report what would happen; write nothing')
    .option('--no-tokens', 'leave access and refresh tokens behind (everyone signs in again)')
    .option('--staff-role <role>', 'the role users with is_staff get (default: none)')
    .option('--allow-weak-hashes', 'import md5, sha1, unsalted_md5, unsalted_sha1 and crypt hashes too')
    .option('--trust-emails', 'mark imported email addresses verified (Django does not record it)')
    .option('--subject-map <file.csv>', 'write django_user_id,username,sub for every imported user')
    .option('--time-zone <zone>', 'the IANA zone of naive datetimes (a project with USE_TZ=False)', undefined)
    .addHelpText(
      'after',
      `
Every user keeps their username and password (verified in Django's format, rehashed on the first
sign-in); superusers get the admin role, groups become roles; every client keeps its client_id and
secret; unexpired access tokens and unrevoked refresh tokens keep working. Run it again to pick up
changes: a second run updates, never duplicates. Gatehouse's sub is its own account id (a UUID):
--subject-map tells relying parties which Django user id became which sub.

Exit codes: 0 done (refusals of single users or clients are in the summary), 1 the source or the
database failed (nothing of the failing kind was written), 2 bad usage.

Examples:
  $ gatehouse import django --database-url postgres://django@db.internal/app --dry-run
  $ gatehouse import django --database-url postgres://django@db.internal/app --staff-role staff \\
      --subject-map subjects.csv
  $ gatehouse import django --dumpdata django.json --allow-weak-hashes --json`,
    )
    .action(action(async (ctx, _args, options: ImportDjangoOptions) => importDjangoCommand(ctx, options)));
}
