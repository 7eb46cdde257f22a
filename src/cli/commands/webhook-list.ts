/** `gatehouse webhook list`: the event webhook endpoints (never their secrets) and their deliveries. */
import type { Command } from 'commander';
import { webhookJson } from '../../api/webhook-schemas';
import { action, type CommandContext } from '../context';
import { table } from '../output';

export async function webhookList(ctx: CommandContext): Promise<void> {
  const { webhooks } = await ctx.services();
  const [endpoints, counts] = await Promise.all([webhooks.list(), webhooks.counts()]);
  const byId = new Map(counts.map((c) => [c.endpointId, c]));
  const rows = endpoints.map((e) => webhookJson(e, byId.get(e.id)));
  ctx.out.result(rows, () =>
    rows.length
      ? table(
          ['ID', 'ENABLED', 'PENDING', 'DELIVERED', 'DEAD', 'URL', 'EVENTS'],
          rows.map((r) => [
            r.id,
            r.enabled ? 'yes' : 'no',
            String(r.deliveries.pending),
            String(r.deliveries.delivered),
            String(r.deliveries.dead),
            r.url,
            r.events.join(','),
          ]),
        )
      : 'no webhooks',
  );
}

export function register(parent: Command): void {
  parent
    .command('list')
    .description('list the webhook endpoints with their pending, delivered and dead deliveries')
    .addHelpText('after', '\nExamples:\n  $ gatehouse webhook list\n  $ gatehouse webhook list --json')
    .action(action(async (ctx) => webhookList(ctx)));
}
