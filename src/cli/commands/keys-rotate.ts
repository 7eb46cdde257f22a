/**
 * `gatehouse keys rotate`: a new signing key per algorithm signs from now on; the previous keys keep
 * verifying for as long as anything they signed can live (the longer of the ID token and access
 * token lifetimes), then are retired. Keys whose verifying time is already over are retired first.
 */
import type { Command } from 'commander';
import { action, type CommandContext } from '../context';
import { fields, formatDate } from '../output';

export async function keysRotate(ctx: CommandContext): Promise<void> {
  const { keys, config } = await ctx.services();
  const verifyForSeconds = Math.max(config.ttl.idToken, config.ttl.accessToken);
  const retired = await keys.retireExpired();
  const created = await keys.rotate(verifyForSeconds);
  const until = new Date(Date.now() + verifyForSeconds * 1000);
  ctx.out.result({ created, previous_keys_verify_until: until, retired_expired: retired }, () =>
    fields([
      ['new signing keys', created.join(', ')],
      ['previous keys verify until', formatDate(until)],
      ...(retired ? [['retired (verifying time over)', String(retired)] as [string, string]] : []),
    ]),
  );
}

export function register(parent: Command): void {
  parent
    .command('rotate')
    .description('make new signing keys; the old ones keep verifying until their tokens have expired')
    .addHelpText(
      'after',
      `
The previous keys verify for max(ID_TOKEN_TTL, ACCESS_TOKEN_TTL) seconds, then are retired.

Examples:
  $ gatehouse keys rotate
  $ gatehouse keys rotate --json`,
    )
    .action(action(async (ctx) => keysRotate(ctx)));
}
