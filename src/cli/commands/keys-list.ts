/** `gatehouse keys list`: the signing keys and their state (active signs; retiring only verifies). */
import type { Command } from 'commander';
import { action, type CommandContext } from '../context';
import { formatDate, table } from '../output';

export async function keysList(ctx: CommandContext): Promise<void> {
  const { keys } = await ctx.services();
  const all = await keys.list();
  ctx.out.result(
    all.map((k) => ({
      kid: k.kid,
      alg: k.alg,
      status: k.status,
      created_at: k.createdAt,
      retire_after: k.retireAfter,
    })),
    () =>
      all.length
        ? table(
            ['KID', 'ALG', 'STATUS', 'CREATED', 'RETIRE_AFTER'],
            all.map((k) => [k.kid, k.alg, k.status, formatDate(k.createdAt), formatDate(k.retireAfter)]),
          )
        : 'no signing keys yet (a server creates them at its first start; or run `gatehouse keys rotate`)',
  );
}

export function register(parent: Command): void {
  parent
    .command('list')
    .description('list the signing keys: active (signs), retiring (verifies only), retired')
    .addHelpText('after', '\nExamples:\n  $ gatehouse keys list\n  $ gatehouse keys list --json')
    .action(action(async (ctx) => keysList(ctx)));
}
