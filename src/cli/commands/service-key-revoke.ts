/** `gatehouse service-key revoke KEY_ID`: the key stops working at once. */
import type { Command } from 'commander';
import { isUuid } from '../../accounts/store';
import { action, type CommandContext } from '../context';
import { notFound } from '../errors';

export async function serviceKeyRevoke(ctx: CommandContext, id: string): Promise<void> {
  const { serviceKeys } = await ctx.services();
  // Key ids are UUIDs; anything else cannot name a key (and PostgreSQL would refuse to compare it).
  if (!isUuid(id) || !(await serviceKeys.revoke(id)))
    throw notFound(`no active service key ${id} (unknown or already revoked)`);
  ctx.out.result({ id, revoked: true }, () => `revoked service key ${id}`);
}

export function register(parent: Command): void {
  parent
    .command('revoke')
    .description('revoke a service key by its id (see service-key list)')
    .argument('<key_id>')
    .addHelpText(
      'after',
      `
Examples:
  $ gatehouse service-key revoke 6f1f4b5e-7d51-4d8a-9a0e-1d0c6a1f1001`,
    )
    .action(action(async (ctx, [id]) => serviceKeyRevoke(ctx, id!)));
}
