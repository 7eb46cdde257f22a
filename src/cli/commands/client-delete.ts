/**
 * `gatehouse client delete ID`: removes a client and its service keys. Tokens it holds stop working
 * at their next use: the provider loads the client for every request and finds none.
 */
import type { Command } from 'commander';
import { action, type CommandContext } from '../context';
import { notFound } from '../errors';

export async function clientDelete(ctx: CommandContext, clientId: string): Promise<void> {
  const { clients } = await ctx.services();
  if (!(await clients.delete(clientId))) throw notFound(`no client ${clientId}`);
  ctx.out.result({ client_id: clientId, deleted: true }, () => `deleted client ${clientId}`);
}

export function register(parent: Command): void {
  parent
    .command('delete')
    .description('delete a client and its service keys')
    .argument('<client_id>')
    .addHelpText(
      'after',
      `
Examples:
  $ gatehouse client delete gh_4fJ2kq9XbT0aYc1N`,
    )
    .action(action(async (ctx, [clientId]) => clientDelete(ctx, clientId!)));
}
