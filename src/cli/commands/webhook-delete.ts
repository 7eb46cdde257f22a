/** `gatehouse webhook delete ID`: removes an endpoint and its deliveries (pending ones are not sent). */
import type { Command } from 'commander';
import { action, type CommandContext } from '../context';
import { notFound } from '../errors';

export async function webhookDelete(ctx: CommandContext, id: string): Promise<void> {
  const { webhooks } = await ctx.services();
  if (!(await webhooks.delete(id))) throw notFound(`no webhook ${id}`);
  ctx.out.result({ id, deleted: true }, () => `deleted webhook ${id}`);
}

export function register(parent: Command): void {
  parent
    .command('delete')
    .description('delete a webhook endpoint and its deliveries')
    .argument('<id>', 'the endpoint id (wh_…)')
    .addHelpText('after', '\nExamples:\n  $ gatehouse webhook delete wh_0123456789abcdef01234567')
    .action(action(async (ctx, [id]) => webhookDelete(ctx, id!)));
}
