/**
 * `gatehouse webhook replay ID (--dead [--since TIME] | --message MSG_ID…)`: sends deliveries of an
 * endpoint again, under their message ids (receivers deduplicate by `webhook-id`): every dead one
 * (optionally only those queued since a time), or the messages named, delivered or dead.
 */
import type { Command } from 'commander';
import { action, type CommandContext } from '../context';
import { notFound, usageError } from '../errors';

export interface WebhookReplayOptions {
  dead?: boolean;
  since?: string;
  message?: string[];
}

export async function webhookReplay(
  ctx: CommandContext,
  id: string,
  options: WebhookReplayOptions,
): Promise<void> {
  const messageIds = options.message ?? [];
  if (Boolean(options.dead) === messageIds.length > 0)
    throw usageError('give either --dead or --message <id> (one or more)');
  if (options.since !== undefined && !options.dead) throw usageError('--since goes with --dead');
  const since = options.since === undefined ? undefined : new Date(options.since);
  if (since && Number.isNaN(since.getTime()))
    throw usageError('--since: not a date-time (e.g. 2026-12-01T00:00:00Z)');
  const { webhooks } = await ctx.services();
  if (!(await webhooks.find(id))) throw notFound(`no webhook ${id}`);
  const replayed = await webhooks.replay(
    id,
    messageIds.length ? { messageIds } : { status: 'dead', ...(since && { since }) },
  );
  ctx.out.result(
    { id, replayed },
    () => `replayed ${replayed} deliver${replayed === 1 ? 'y' : 'ies'} of ${id}`,
  );
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(parent: Command): void {
  parent
    .command('replay')
    .description('send dead (or chosen) deliveries of an endpoint again, under their message ids')
    .argument('<id>', 'the endpoint id (wh_…)')
    .option('--dead', 'every dead delivery (failed after the last retry)')
    .option('--since <time>', 'with --dead: only those queued at or after this RFC 3339 time')
    .option('--message <msg_id>', 'a delivery by its webhook-id (evt_…); repeat for more', collect)
    .addHelpText(
      'after',
      `
Examples:
  $ gatehouse webhook replay wh_0123456789abcdef01234567 --dead
  $ gatehouse webhook replay wh_0123456789abcdef01234567 --dead --since 2026-12-01T00:00:00Z
  $ gatehouse webhook replay wh_0123456789abcdef01234567 --message evt_42 --message evt_43`,
    )
    .action(action(async (ctx, [id], options: WebhookReplayOptions) => webhookReplay(ctx, id!, options)));
}
