/**
 * `gatehouse user disable|enable|unlock USERNAME`. Disabling stops sign-ins and makes the user's
 * tokens stop resolving; unlocking clears the sign-in lockout after too many failed passwords.
 */
import type { Command } from 'commander';
import { findAccount } from '../accounts';
import { action, type CommandContext } from '../context';

export async function userSetDisabled(
  ctx: CommandContext,
  username: string,
  disabled: boolean,
): Promise<void> {
  const { accounts } = await ctx.services();
  const account = await findAccount(accounts, username);
  await accounts.setDisabled(account.id, disabled);
  ctx.out.result(
    { id: account.id, username: account.username, disabled },
    () => `${disabled ? 'disabled' : 'enabled'} ${account.username}`,
  );
}

export async function userUnlock(ctx: CommandContext, username: string): Promise<void> {
  const { accounts } = await ctx.services();
  const account = await findAccount(accounts, username);
  const wasLocked = Boolean(await accounts.throttle.lockedUntil(account.username));
  await accounts.throttle.reset(account.username);
  ctx.out.result({ id: account.id, username: account.username, was_locked: wasLocked, locked: false }, () =>
    wasLocked ? `unlocked ${account.username}` : `${account.username} was not locked (failures cleared)`,
  );
}

export function register(parent: Command): void {
  parent
    .command('disable')
    .description('disable a user: no more sign-ins, and their tokens stop resolving')
    .argument('<username>')
    .addHelpText('after', '\nExamples:\n  $ gatehouse user disable alice')
    .action(action(async (ctx, [username]) => userSetDisabled(ctx, username!, true)));
  parent
    .command('enable')
    .description('enable a disabled user again')
    .argument('<username>')
    .addHelpText('after', '\nExamples:\n  $ gatehouse user enable alice')
    .action(action(async (ctx, [username]) => userSetDisabled(ctx, username!, false)));
  parent
    .command('unlock')
    .description('clear the sign-in lockout a user hit with too many wrong passwords')
    .argument('<username>')
    .addHelpText('after', '\nExamples:\n  $ gatehouse user unlock alice')
    .action(action(async (ctx, [username]) => userUnlock(ctx, username!)));
}
