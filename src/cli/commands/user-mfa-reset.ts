/**
 * `gatehouse user mfa-reset USERNAME`: for a person who lost every second factor. Removes the
 * authenticator app, the passkeys and the recovery codes, and revokes the account's sessions, grants
 * and tokens (MfaStore.reset, one transaction), so whoever holds a session now has to sign in again.
 * Prints what it removed, and writes an audit line (stderr, at LOG_LEVEL) as the admin API does.
 */
import os from 'node:os';
import type { Command } from 'commander';
import type { FactorSummary } from '../../accounts/mfa/store';
import { findAccount } from '../accounts';
import { action, type CommandContext } from '../context';

/** Who ran the command, as far as the process knows: the operating-system user. */
function operator(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

function describeRemoved(summary: FactorSummary): string[] {
  const removed: string[] = [];
  if (summary.totp) removed.push(`authenticator app (${summary.totp.status})`);
  const passkeys = summary.passkeys.length;
  if (passkeys) removed.push(`${passkeys} passkey${passkeys === 1 ? '' : 's'}`);
  const codes = summary.recoveryCodesRemaining;
  if (codes) removed.push(`${codes} recovery code${codes === 1 ? '' : 's'}`);
  return removed;
}

export async function userMfaReset(ctx: CommandContext, username: string): Promise<void> {
  const { accounts, mfa } = await ctx.services();
  const account = await findAccount(accounts, username);
  // What there is now, to say what went; the reset itself is one transaction.
  const before = await mfa.summary(account.id);
  await mfa.reset(account.id);
  ctx.audit.info(
    { event: 'mfa.reset', account_id: account.id, actor: `cli:${operator()}` },
    'second factors reset',
  );
  const removed = describeRemoved(before);
  ctx.out.result(
    {
      id: account.id,
      username: account.username,
      removed: {
        totp: before.totp !== null,
        passkeys: before.passkeys.length,
        recovery_codes: before.recoveryCodesRemaining,
      },
      tokens_revoked: true,
    },
    () =>
      `${
        removed.length
          ? `removed from ${account.username}: ${removed.join(', ')}`
          : `${account.username} had no second factors`
      }\nrevoked ${account.username}'s sessions, grants and tokens`,
  );
}

export function register(parent: Command): void {
  parent
    .command('mfa-reset')
    .description(
      "remove all of a user's second factors (a lost authenticator) and revoke their sessions and tokens",
    )
    .argument('<username>')
    .addHelpText(
      'after',
      `
The user signs in with their password alone afterwards (unless MFA_REQUIRED_ROLES asks them to
enroll again) and can enroll a new authenticator app.

Examples:
  $ gatehouse user mfa alice
  $ gatehouse user mfa-reset alice`,
    )
    .action(action(async (ctx, [username]) => userMfaReset(ctx, username!)));
}
