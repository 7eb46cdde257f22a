/** `gatehouse user roles USERNAME [--add R] [--remove R]`: shows or changes a user's roles. */
import type { Command } from 'commander';
import { checkRoleNames, findAccount, requireRoles } from '../accounts';
import { action, type CommandContext } from '../context';
import { list } from '../output';

export interface UserRolesOptions {
  add: string[];
  remove: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

export async function userRoles(
  ctx: CommandContext,
  username: string,
  options: UserRolesOptions,
): Promise<void> {
  const add = checkRoleNames(options.add);
  const remove = checkRoleNames(options.remove);
  const { accounts, roles } = await ctx.services();
  const account = await findAccount(accounts, username);
  let current = account.roles;
  if (add.length || remove.length) {
    await requireRoles(roles, add);
    const next = new Set(account.roles);
    for (const role of add) next.add(role);
    for (const role of remove) next.delete(role);
    current = [...next].sort();
    await accounts.setRoles(account.id, current);
  }
  ctx.out.result(
    { id: account.id, username: account.username, roles: current },
    () => `${account.username}: ${list(current)}`,
  );
}

export function register(parent: Command): void {
  parent
    .command('roles')
    .description("show a user's roles, or add and remove some")
    .argument('<username>')
    .option('--add <role>', 'grant a role (repeatable; the role must exist)', collect, [])
    .option('--remove <role>', 'take a role away (repeatable)', collect, [])
    .addHelpText(
      'after',
      `
Examples:
  $ gatehouse user roles alice
  $ gatehouse user roles alice --add admin --remove user
  $ gatehouse user roles alice --json`,
    )
    .action(action(async (ctx, [username], options: UserRolesOptions) => userRoles(ctx, username!, options)));
}
