/**
 * `gatehouse api delete IDENTIFIER`: removes an API. No new tokens are issued for it (invalid_target);
 * its opaque tokens stop introspecting only when they expire or their grant is revoked, and its JWT
 * access tokens stay valid until they expire (nothing stores them).
 */
import type { Command } from 'commander';
import { action, type CommandContext } from '../context';
import { notFound } from '../errors';

export async function apiDelete(ctx: CommandContext, identifier: string): Promise<void> {
  const { resourceServers } = await ctx.services();
  if (!(await resourceServers.delete(identifier))) throw notFound(`no API ${identifier}`);
  ctx.out.result({ identifier, deleted: true }, () => `deleted API ${identifier}`);
}

export function register(parent: Command): void {
  parent
    .command('delete')
    .description('remove an API: no new tokens for it')
    .argument('<identifier>', 'the API identifier, as registered')
    .addHelpText('after', '\nExamples:\n  $ gatehouse api delete https://api.example.com')
    .action(action(async (ctx, [identifier]) => apiDelete(ctx, identifier!)));
}
