/**
 * `gatehouse audit list`: the audit trail newest first, a page at a time, by type (exact or
 * `user.*`), actor and time; the same reading and the same checks as `GET /api/admin/audit`.
 */
import type { Command } from 'commander';
import {
  AuditLog,
  auditEventView,
  parseAuditFilter,
  type AuditEvent,
  type RawAuditFilter,
} from '../../audit/query';
import { GatehouseError } from '../../errors';
import { action, type CommandContext } from '../context';
import { usageError } from '../errors';
import { formatDate, table } from '../output';

export interface AuditListOptions {
  type?: string;
  actor?: string;
  since?: string;
  until?: string;
  limit?: string;
  cursor?: string;
}

/** A reference as one word: `cli:alice`, `account:<id>`, `system`. */
function reference(ref: { type: string; id: string | null } | null): string {
  if (!ref) return '-';
  return ref.id ? `${ref.type}:${ref.id}` : ref.type;
}

/** One event's columns for a person: time, type, actor, target, source address. */
export function auditColumns(event: AuditEvent): string[] {
  return [
    formatDate(event.occurredAt),
    event.type,
    reference(event.actor),
    reference(event.target),
    event.ip ?? '-',
  ];
}

export const AUDIT_HEADERS = ['TIME', 'TYPE', 'ACTOR', 'TARGET', 'IP'];

/** The store's checks of the filters, answered as the command line's: `--since: must be ...`. */
export function parseAuditOptions(raw: RawAuditFilter): ReturnType<typeof parseAuditFilter> {
  try {
    return parseAuditFilter(raw);
  } catch (err) {
    if (err instanceof GatehouseError && err.details)
      throw usageError(
        Object.entries(err.details)
          .map(([name, problem]) => `--${name}: ${problem}`)
          .join('; '),
      );
    throw err;
  }
}

export async function auditList(ctx: CommandContext, options: AuditListOptions): Promise<void> {
  const filter = parseAuditOptions(options);
  const { db } = await ctx.services();
  const page = await new AuditLog(db).list(filter);
  if (page.nextCursor) ctx.out.note(`(newest ${filter.limit}; older with --cursor ${page.nextCursor})`);
  ctx.out.result(page.events.map(auditEventView), () =>
    page.events.length ? table(AUDIT_HEADERS, page.events.map(auditColumns)) : 'no audit events',
  );
}

export function register(parent: Command): void {
  parent
    .command('list')
    .description('list audit events, newest first')
    .option('--type <type>', 'an event type (user.created) or a prefix (user.*)')
    .option('--actor <id>', "the actor's id: an account id, a client id, an OS user name")
    .option('--since <time>', 'ISO 8601: events at or after this time')
    .option('--until <time>', 'ISO 8601: events before this time')
    .option('--limit <n>', 'at most this many (1-200, default 50)')
    .option('--cursor <cursor>', 'the page after this one (printed on stderr when there is one)')
    .addHelpText(
      'after',
      `
Examples:
  $ gatehouse audit list
  $ gatehouse audit list --type 'user.*' --since 2026-12-01T00:00:00Z
  $ gatehouse audit list --actor "$USER" --json`,
    )
    .action(action(async (ctx, _args, options: AuditListOptions) => auditList(ctx, options)));
}
