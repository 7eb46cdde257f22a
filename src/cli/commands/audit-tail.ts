/**
 * `gatehouse audit tail`: the last events, then every new one as it is recorded, until SIGINT or
 * SIGTERM. It polls by id (AuditLog.after), so it works on any database and across nodes, and
 * misses nothing between two polls; an event appears once its transaction has committed.
 * --json prints one JSON object per line (JSON Lines), for a pipe into jq.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { AuditLog, auditEventView, type AuditEvent } from '../../audit/query';
import { action, type CommandContext } from '../context';
import { formatDate } from '../output';
import { auditColumns, parseAuditOptions } from './audit-list';

export interface AuditTailOptions {
  type?: string;
  lines: number;
  interval: number;
}

function parseWhole(min: number, max: number) {
  return (value: string): number => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`a number from ${min} to ${max}.`);
    return n;
  };
}

/** Resolves on the first SIGINT or SIGTERM; `dispose` takes the handlers back. */
function interruption(): { stopped: Promise<void>; dispose(): void } {
  let resolve!: () => void;
  const stopped = new Promise<void>((r) => (resolve = r));
  const stop = () => resolve();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    stopped,
    dispose() {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

export async function auditTail(ctx: CommandContext, options: AuditTailOptions): Promise<void> {
  const { type } = parseAuditOptions({ type: options.type });
  const signals = interruption();
  let running = true;
  void signals.stopped.then(() => (running = false));
  try {
    const { db } = await ctx.services();
    const log = new AuditLog(db);
    const print = (event: AuditEvent) =>
      ctx.out.streams.stdout.write(
        `${ctx.out.json ? JSON.stringify(auditEventView(event)) : auditColumns(event).join('  ')}\n`,
      );
    // The last `lines` events, oldest first, then everything after the newest of them.
    const last = options.lines
      ? (await log.list({ ...(type ? { type } : {}), limit: options.lines })).events
      : [];
    let cursor = last[0]?.id ?? (await newestId(log));
    for (const event of last.reverse()) print(event);
    if (!ctx.out.json)
      ctx.out.note(`(following audit events since ${formatDate(new Date())}; Ctrl-C to stop)`);
    while (running) {
      const events = await log.after(cursor, type ? { type } : {});
      for (const event of events) print(event);
      if (events.length) cursor = events[events.length - 1]!.id;
      // A full batch: more are waiting, read them at once.
      if (events.length < 200 && running)
        await Promise.race([new Promise((r) => setTimeout(r, options.interval).unref()), signals.stopped]);
    }
  } finally {
    signals.dispose();
  }
}

/** The id of the newest event ('0' for none): without --lines, only what comes next is shown. */
async function newestId(log: AuditLog): Promise<string> {
  return (await log.list({ limit: 1 })).events[0]?.id ?? '0';
}

export function register(parent: Command): void {
  parent
    .command('tail')
    .description('print the last audit events, then follow new ones until interrupted')
    .option('--type <type>', 'an event type (user.created) or a prefix (user.*)')
    .option('--lines <n>', 'how many existing events to print first (0-200)', parseWhole(0, 200), 10)
    .option(
      '--interval <ms>',
      'how often to look for new events (100-60000 ms)',
      parseWhole(100, 60_000),
      1000,
    )
    .addHelpText(
      'after',
      `
Examples:
  $ gatehouse audit tail
  $ gatehouse audit tail --type 'user.*' --lines 0
  $ gatehouse audit tail --json | jq -c 'select(.type == "user.sign_in_failed")'`,
    )
    .action(action(async (ctx, _args, options: AuditTailOptions) => auditTail(ctx, options)));
}
