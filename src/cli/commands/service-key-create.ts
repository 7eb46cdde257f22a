/** `gatehouse service-key create CLIENT_ID`: a new X-Service-Key for a client, shown once. */
import type { Command } from 'commander';
import { action, type CommandContext } from '../context';
import { notFound } from '../errors';
import { fields, formatDate } from '../output';

export async function serviceKeyCreate(ctx: CommandContext, clientId: string): Promise<void> {
  const { clients, serviceKeys } = await ctx.services();
  if (!(await clients.findMetadata(clientId))) throw notFound(`no client ${clientId}`);
  const { key, serviceKey } = await serviceKeys.create(clientId);
  ctx.out.note('The service key is shown only this once: store it now.');
  ctx.out.result(
    {
      id: serviceKey.id,
      client_id: serviceKey.clientId,
      key,
      prefix: serviceKey.prefix,
      created_at: serviceKey.createdAt,
    },
    () =>
      fields([
        ['key', key],
        ['id', serviceKey.id],
        ['client_id', serviceKey.clientId],
        ['created_at', formatDate(serviceKey.createdAt)],
      ]),
  );
}

export function register(parent: Command): void {
  parent
    .command('create')
    .description('create an X-Service-Key for a client; prints the key (only this once)')
    .argument('<client_id>')
    .addHelpText(
      'after',
      `
Examples:
  $ gatehouse service-key create demo-cli
  $ KEY=$(gatehouse service-key create demo-cli --json | jq -r .key)`,
    )
    .action(action(async (ctx, [clientId]) => serviceKeyCreate(ctx, clientId!)));
}
