/** `gatehouse service-key list CLIENT_ID`: a client's service keys (prefixes only, never keys). */
import type { Command } from 'commander';
import { action, type CommandContext } from '../context';
import { notFound } from '../errors';
import { formatDate, table } from '../output';

export async function serviceKeyList(ctx: CommandContext, clientId: string): Promise<void> {
  const { clients, serviceKeys } = await ctx.services();
  if (!(await clients.findMetadata(clientId))) throw notFound(`no client ${clientId}`);
  const keys = await serviceKeys.list(clientId);
  ctx.out.result(
    keys.map((k) => ({
      id: k.id,
      client_id: k.clientId,
      prefix: k.prefix,
      created_at: k.createdAt,
      last_used_at: k.lastUsedAt,
      revoked_at: k.revokedAt,
    })),
    () =>
      keys.length
        ? table(
            ['ID', 'PREFIX', 'STATUS', 'CREATED', 'LAST_USED'],
            keys.map((k) => [
              k.id,
              `${k.prefix}…`,
              k.revokedAt ? `revoked ${formatDate(k.revokedAt)}` : 'active',
              formatDate(k.createdAt),
              formatDate(k.lastUsedAt),
            ]),
          )
        : `no service keys for ${clientId}`,
  );
}

export function register(parent: Command): void {
  parent
    .command('list')
    .description("list a client's service keys (their first characters only)")
    .argument('<client_id>')
    .addHelpText(
      'after',
      `
Examples:
  $ gatehouse service-key list demo-cli
  $ gatehouse service-key list demo-cli --json`,
    )
    .action(action(async (ctx, [clientId]) => serviceKeyList(ctx, clientId!)));
}
