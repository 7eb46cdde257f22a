/** `gatehouse api list`: the registered APIs (RFC 8707 resource servers). */
import type { Command } from 'commander';
import { action, type CommandContext } from '../context';
import { table } from '../output';
import { apiJson } from './api-create';

export async function apiList(ctx: CommandContext): Promise<void> {
  const { resourceServers } = await ctx.services();
  const apis = await resourceServers.list();
  ctx.out.result(apis.map(apiJson), () =>
    apis.length
      ? table(
          ['IDENTIFIER', 'FORMAT', 'TTL', 'SCOPES', 'NAME'],
          apis.map((a) => [a.identifier, a.format, String(a.ttlSeconds), a.scopes.join(' '), a.name ?? '']),
        )
      : 'no APIs',
  );
}

export function register(parent: Command): void {
  parent
    .command('list')
    .description('list the registered APIs')
    .addHelpText('after', '\nExamples:\n  $ gatehouse api list\n  $ gatehouse api list --json')
    .action(action(async (ctx) => apiList(ctx)));
}
