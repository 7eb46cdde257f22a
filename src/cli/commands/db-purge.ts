/**
 * `gatehouse db purge`: deletes expired tokens, sessions, interactions and codes, stale sign-in
 * throttling rows, audit events older than AUDIT_RETENTION days and long-settled webhook deliveries,
 * in batches (each its own short transaction, so servers keep running). A progress
 * bar on a terminal, one plain line otherwise.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { purgeOnce } from '../../jobs/purge';
import { action, type CommandContext } from '../context';

function parseBatchSize(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100000)
    throw new InvalidArgumentError('a number from 1 to 100000.');
  return n;
}

export async function dbPurge(ctx: CommandContext, options: { batchSize: number }): Promise<void> {
  const { db } = await ctx.services();
  const perTable: Record<string, number> = {};
  // How many rows are expired is not known ahead (counting would scan what the batches delete), so
  // the bar's end is "at least one more batch" while batches come back full.
  const bar = ctx.out.interactive
    ? new SingleBar({
        format: 'purging {table} [{bar}] {value} deleted',
        stream: ctx.out.streams.stderr as NodeJS.WriteStream,
        hideCursor: true,
        clearOnComplete: true,
      })
    : undefined;
  let shown = 0;
  bar?.start(options.batchSize, 0, { table: '' });
  const deleted = await purgeOnce(db, {
    batchSize: options.batchSize,
    auditRetentionDays: ctx.config.audit.retentionDays,
    onBatch(table, count) {
      perTable[table] = (perTable[table] ?? 0) + count;
      shown += count;
      bar?.setTotal(count === options.batchSize ? shown + options.batchSize : Math.max(shown, 1));
      bar?.update(shown, { table });
    },
  });
  bar?.stop();
  if (deleted === null) {
    ctx.out.note('another node is purging right now; nothing done');
    ctx.out.result(
      { deleted: null, skipped: true, tables: {} },
      () => 'purge skipped: another node holds the purge lock',
    );
    return;
  }
  const detail = Object.entries(perTable)
    .map(([table, count]) => `${table}: ${count}`)
    .join(', ');
  ctx.out.result(
    { deleted, skipped: false, tables: perTable },
    () => `purged ${deleted} expired rows (${detail})`,
  );
}

export function register(parent: Command): void {
  parent
    .command('purge')
    .description('delete expired tokens, sessions, interactions and codes now')
    .option('--batch-size <n>', 'rows deleted per transaction', parseBatchSize, 1000)
    .addHelpText(
      'after',
      `
Servers also purge on their own every PURGE_INTERVAL seconds; one node purges at a time.
Audit events are kept AUDIT_RETENTION days (default 90).

Examples:
  $ gatehouse db purge
  $ gatehouse db purge --json`,
    )
    .action(action(async (ctx, _args, options: { batchSize: number }) => dbPurge(ctx, options)));
}
