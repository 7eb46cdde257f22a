/**
 * `gatehouse keys retire KID`: takes a key out of the JWKS now (a compromised key, or one whose
 * tokens are known to be gone). Tokens it signed stop verifying. The active key cannot be retired:
 * rotate first.
 */
import type { Command } from 'commander';
import { action, type CommandContext } from '../context';
import { notFound, refused } from '../errors';

export async function keysRetire(ctx: CommandContext, kid: string): Promise<void> {
  const { keys } = await ctx.services();
  const outcome = await keys.retire(kid);
  if (outcome === 'not_found') throw notFound(`no signing key ${kid}`);
  if (outcome === 'active')
    throw refused(`key ${kid} is active (it signs): run \`gatehouse keys rotate\` first, then retire it`);
  ctx.out.result({ kid, status: 'retired' }, () => `retired key ${kid}`);
}

export function register(parent: Command): void {
  parent
    .command('retire')
    .description('retire a (non-active) signing key now: it leaves the JWKS')
    .argument('<kid>')
    // A kid is an RFC 7638 thumbprint in base64url, so one in 64 starts with '-': it is an operand
    // here, not an unknown option (`--` before it works too).
    .allowUnknownOption()
    .addHelpText(
      'after',
      `
Tokens the key signed stop verifying at once. Without this, retiring keys are retired by the
servers (and by the next \`keys rotate\`) once every token they signed has expired.

Examples:
  $ gatehouse keys retire 3yVx0q5oWZg5xq8dYj3l0b7kQmQe8w3f5gD4Jc0zZ1E`,
    )
    .action(action(async (ctx, [kid]) => keysRetire(ctx, kid!)));
}
