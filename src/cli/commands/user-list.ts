/** `gatehouse user list`: accounts by username, a page at a time. */
import { InvalidArgumentError, type Command } from 'commander';
import { accountJson } from '../accounts';
import { action, type CommandContext } from '../context';
import { list, table } from '../output';

export interface UserListOptions {
  prefix?: string;
  limit: number;
  after?: string;
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('a number from 1 to 1000.');
  return n;
}

export async function userList(ctx: CommandContext, options: UserListOptions): Promise<void> {
  const { accounts } = await ctx.services();
  const page = await accounts.list({
    limit: options.limit,
    ...(options.prefix ? { prefix: options.prefix } : {}),
    ...(options.after ? { after: options.after } : {}),
  });
  if (page.length === options.limit)
    ctx.out.note(`(first ${options.limit}; more with --after ${page[page.length - 1]!.username})`);
  ctx.out.result(page.map(accountJson), () =>
    page.length
      ? table(
          ['USERNAME', 'ID', 'EMAIL', 'ROLES', 'STATUS'],
          page.map((a) => [
            a.username,
            a.id,
            a.email ?? '-',
            list(a.roles),
            a.disabled ? 'disabled' : 'active',
          ]),
        )
      : 'no users',
  );
}

export function register(parent: Command): void {
  parent
    .command('list')
    .description('list users by username')
    .option('--prefix <text>', 'only usernames starting with this')
    .option('--limit <n>', 'at most this many (1-1000)', parseLimit, 50)
    .option('--after <username>', 'the page after this username')
    .addHelpText(
      'after',
      `
Examples:
  $ gatehouse user list
  $ gatehouse user list --prefix al --json
  $ gatehouse user list --limit 100 --after alice`,
    )
    .action(action(async (ctx, _args, options: UserListOptions) => userList(ctx, options)));
}
