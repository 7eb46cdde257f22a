/**
 * `gatehouse client rotate-secret ID`: replaces a confidential client's secret and prints the new
 * one, once. The old secret stops working at once.
 */
import type { Command } from 'commander';
import { action, type CommandContext } from '../context';
import { notFound, refused } from '../errors';
import { fields } from '../output';

export async function clientRotateSecret(ctx: CommandContext, clientId: string): Promise<void> {
  const { clients } = await ctx.services();
  const client = await clients.findMetadata(clientId);
  if (!client) throw notFound(`no client ${clientId}`);
  const secret = await clients.rotateSecret(clientId);
  if (!secret) throw refused(`client ${clientId} is public: it has no secret to rotate`);
  ctx.out.note('The new client secret is shown only this once: store it now. The old one no longer works.');
  ctx.out.result({ client_id: clientId, client_secret: secret }, () =>
    fields([
      ['client_id', clientId],
      ['client_secret', secret],
    ]),
  );
}

export function register(parent: Command): void {
  parent
    .command('rotate-secret')
    .description("replace a confidential client's secret; prints the new one (only this once)")
    .argument('<client_id>')
    .addHelpText(
      'after',
      `
Examples:
  $ gatehouse client rotate-secret demo-web
  $ gatehouse client rotate-secret demo-web --json | jq -r .client_secret`,
    )
    .action(action(async (ctx, [clientId]) => clientRotateSecret(ctx, clientId!)));
}
