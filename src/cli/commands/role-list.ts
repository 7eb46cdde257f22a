/** `gatehouse role list` and `gatehouse role create NAME`: the roles users can be given. */
import type { Command } from 'commander';
import { checkRoleNames } from '../accounts';
import { action, type CommandContext } from '../context';
import { conflict } from '../errors';
import { table } from '../output';

export async function roleList(ctx: CommandContext): Promise<void> {
  const { roles } = await ctx.services();
  const all = await roles.list();
  ctx.out.result(all, () =>
    all.length
      ? table(
          ['ROLE', 'MEMBERS', 'DESCRIPTION'],
          all.map((r) => [r.name, String(r.members), r.description ?? '']),
        )
      : 'no roles',
  );
}

export async function roleCreate(
  ctx: CommandContext,
  name: string,
  options: { description?: string },
): Promise<void> {
  checkRoleNames([name]);
  const { roles } = await ctx.services();
  if (!(await roles.create(name, options.description))) throw conflict(`role ${name} already exists`);
  ctx.out.result(
    { name, description: options.description ?? null, members: 0 },
    () => `created role ${name}`,
  );
}

export function register(parent: Command): void {
  parent
    .command('list')
    .description('list the roles, with how many users hold each')
    .addHelpText('after', '\nExamples:\n  $ gatehouse role list\n  $ gatehouse role list --json')
    .action(action(async (ctx) => roleList(ctx)));
  parent
    .command('create')
    .description('create a role (released in the `roles` claim)')
    .argument('<name>', 'lower-case letters, digits and _ . : -')
    .option('--description <text>', 'what the role is for')
    .addHelpText(
      'after',
      '\nExamples:\n  $ gatehouse role create billing:read --description "Reads invoices"',
    )
    .action(
      action(async (ctx, [name], options: { description?: string }) => roleCreate(ctx, name!, options)),
    );
}
