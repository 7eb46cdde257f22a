/** `gatehouse client show ID`: one client's metadata, without its secret. */
import type { Command } from 'commander';
import { publicMetadata } from '../../clients/store';
import { action, type CommandContext } from '../context';
import { notFound } from '../errors';
import { fields, list } from '../output';

export async function clientShow(ctx: CommandContext, clientId: string): Promise<void> {
  const { clients } = await ctx.services();
  const found = await clients.findMetadata(clientId);
  if (!found) throw notFound(`no client ${clientId}`);
  const client = publicMetadata(found);
  ctx.out.result(client, () =>
    fields(
      Object.entries(client).map(([key, value]) => [
        key,
        Array.isArray(value)
          ? list(value.map(String))
          : typeof value === 'object'
            ? JSON.stringify(value)
            : String(value),
      ]),
    ),
  );
}

export function register(parent: Command): void {
  parent
    .command('show')
    .description("show a client's metadata (without its secret)")
    .argument('<client_id>')
    .addHelpText(
      'after',
      `
Examples:
  $ gatehouse client show demo-web
  $ gatehouse client show demo-web --json`,
    )
    .action(action(async (ctx, [clientId]) => clientShow(ctx, clientId!)));
}
