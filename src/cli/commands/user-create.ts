/**
 * `gatehouse user create USERNAME`: an account with a password read without echo (or from stdin
 * with --password-stdin), an optional email and roles.
 */
import type { Command } from 'commander';
import { USERNAME_PATTERN } from '../../accounts/username';
import { accountJson, checkRoleNames, requireRoles } from '../accounts';
import { action, type CommandContext } from '../context';
import { conflict, usageError } from '../errors';
import { fields, list } from '../output';
import { readPassword } from '../password';

export interface UserCreateOptions {
  email?: string;
  role: string[];
  passwordStdin?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export async function userCreate(
  ctx: CommandContext,
  username: string,
  options: UserCreateOptions,
): Promise<void> {
  if (!USERNAME_PATTERN.test(username))
    throw usageError('USERNAME: letters, digits and . _ @ + - only, starting with a letter or digit');
  if (options.email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(options.email))
    throw usageError(`--email: not an email address: ${options.email}`);
  const roleNames = checkRoleNames(options.role);

  const { accounts, roles } = await ctx.services();
  if (await accounts.findByUsername(username)) throw conflict(`user ${username} already exists`);
  await requireRoles(roles, roleNames);
  const password = await readPassword({ fromStdin: Boolean(options.passwordStdin) });
  const account = await accounts.create({
    username,
    password,
    roles: roleNames,
    ...(options.email ? { email: options.email } : {}),
  });
  ctx.out.result(accountJson(account), () =>
    fields([
      ['created user', account.username],
      ['id', account.id],
      ['email', account.email ?? '-'],
      ['roles', list(account.roles)],
    ]),
  );
}

export function register(parent: Command): void {
  parent
    .command('create')
    .description('create a user; the password is asked without echo, or read from stdin')
    .argument('<username>')
    .option('--email <email>', "the user's email address")
    .option('--role <role>', 'a role to grant (repeatable; the role must exist)', collect, [])
    .option('--password-stdin', 'read the password from stdin (one line) instead of asking')
    .addHelpText(
      'after',
      `
Examples:
  $ gatehouse user create bob --email bob@example.com --role user
  $ printf '%s\\n' "$BOB_PASSWORD" | gatehouse user create bob --password-stdin --json`,
    )
    .action(
      action(async (ctx, [username], options: UserCreateOptions) => userCreate(ctx, username!, options)),
    );
}
