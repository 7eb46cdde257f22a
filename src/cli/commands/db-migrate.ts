/**
 * `gatehouse db migrate`: applies pending migrations, exactly as a server does at its start (which
 * is also why every other command leaves the database migrated).
 */
import type { Command } from 'commander';
import { action, type CommandContext } from '../context';
import { fields } from '../output';

interface MigrationEntry {
  name?: string;
  file?: string;
}

const nameOf = (m: MigrationEntry | string) => (typeof m === 'string' ? m : (m.name ?? m.file ?? ''));

export async function dbMigrate(ctx: CommandContext): Promise<void> {
  const { db, config } = await ctx.services();
  const [completed, pending] = (await db.migrate.list()) as [(MigrationEntry | string)[], unknown[]];
  const names = completed.map(nameOf);
  const database =
    config.database.kind === 'postgres'
      ? 'PostgreSQL (DATABASE_URL)'
      : `embedded (${config.database.dataDir ?? 'in memory'})`;
  ctx.out.result(
    {
      database: config.database.kind,
      applied: names.length,
      pending: pending.length,
      latest: names.at(-1) ?? null,
    },
    () =>
      fields([
        ['database', database],
        ['migrations applied', String(names.length)],
        ['latest', names.at(-1) ?? '-'],
        ['pending', String(pending.length)],
      ]),
  );
}

export function register(parent: Command): void {
  parent
    .command('migrate')
    .description('apply pending database migrations (servers also do this at start)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ gatehouse db migrate\n  $ DATABASE_URL=postgres://… gatehouse db migrate --json',
    )
    .action(action(async (ctx) => dbMigrate(ctx)));
}
