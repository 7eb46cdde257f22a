/** `gatehouse client list`: every registered client, secrets never shown. */
import type { Command } from 'commander';
import { publicMetadata } from '../../clients/store';
import { action, type CommandContext } from '../context';
import { list, table } from '../output';

export async function clientList(ctx: CommandContext): Promise<void> {
  const { clients } = await ctx.services();
  const all = (await clients.list()).map(publicMetadata);
  ctx.out.result(all, () =>
    all.length
      ? table(
          ['CLIENT_ID', 'NAME', 'TYPE', 'GRANTS', 'REDIRECT_URIS'],
          all.map((c) => [
            String(c.client_id),
            String(c.client_name ?? ''),
            `${c.token_endpoint_auth_method === 'none' ? 'public' : 'confidential'}${c.first_party ? ',first-party' : ''}`,
            list(c.grant_types as string[] | undefined),
            list(c.redirect_uris as string[] | undefined),
          ]),
        )
      : 'no clients',
  );
}

export function register(parent: Command): void {
  parent
    .command('list')
    .description('list the registered clients (secrets are never shown)')
    .addHelpText(
      'after',
      `
Examples:
  $ gatehouse client list
  $ gatehouse client list --json | jq -r '.[].client_id'`,
    )
    .action(action(async (ctx) => clientList(ctx)));
}
