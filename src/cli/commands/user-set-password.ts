/** `gatehouse user set-password USERNAME`: a new password, asked without echo or read from stdin. */
import type { Command } from 'commander';
import { findAccount } from '../accounts';
import { action, type CommandContext } from '../context';
import { readPassword } from '../password';

export async function userSetPassword(
  ctx: CommandContext,
  username: string,
  options: { passwordStdin?: boolean },
): Promise<void> {
  const { accounts } = await ctx.services();
  const account = await findAccount(accounts, username);
  const password = await readPassword({ fromStdin: Boolean(options.passwordStdin) });
  await accounts.setPassword(account.id, password);
  ctx.out.result(
    { id: account.id, username: account.username, password_changed: true },
    () => `changed the password of ${account.username}`,
  );
}

export function register(parent: Command): void {
  parent
    .command('set-password')
    .description("set a user's password; asked without echo, or read from stdin")
    .argument('<username>')
    .option('--password-stdin', 'read the password from stdin (one line) instead of asking')
    .addHelpText(
      'after',
      `
Examples:
  $ gatehouse user set-password alice
  $ printf '%s\\n' "$NEW_PASSWORD" | gatehouse user set-password alice --password-stdin`,
    )
    .action(
      action(async (ctx, [username], options: { passwordStdin?: boolean }) =>
        userSetPassword(ctx, username!, options),
      ),
    );
}
