/**
 * `gatehouse user mfa USERNAME`: the second factors a user has enrolled (the authenticator app, the
 * passkeys, how many recovery codes are left); never a secret. What `mfa-reset` would remove.
 */
import type { Command } from 'commander';
import type { FactorSummary } from '../../accounts/mfa/store';
import type { Account } from '../../accounts/store';
import { findAccount } from '../accounts';
import { action, type CommandContext } from '../context';
import { fields, formatDate, table } from '../output';

/** What --json prints: the same fields as GET /api/admin/users/:id/mfa, with the user. */
export function mfaJson(account: Account, summary: FactorSummary) {
  const { totp } = summary;
  return {
    id: account.id,
    username: account.username,
    totp: totp ? { status: totp.status, created_at: totp.createdAt, activated_at: totp.activatedAt } : null,
    passkeys: summary.passkeys.map((p) => ({
      id: p.id,
      name: p.name,
      device_type: p.deviceType,
      backed_up: p.backedUp,
      created_at: p.createdAt,
      last_used_at: p.lastUsedAt,
    })),
    recovery_codes_remaining: summary.recoveryCodesRemaining,
  };
}

function describeTotp(totp: FactorSummary['totp']): string {
  if (!totp) return 'none';
  return totp.status === 'active'
    ? `active since ${formatDate(totp.activatedAt)}`
    : `pending (started ${formatDate(totp.createdAt)}, not confirmed)`;
}

function human(account: Account, summary: FactorSummary): string {
  const head = fields([
    ['user', account.username],
    ['authenticator app', describeTotp(summary.totp)],
    ['passkeys', String(summary.passkeys.length)],
    ['recovery codes left', String(summary.recoveryCodesRemaining)],
  ]);
  if (!summary.passkeys.length) return head;
  const rows = summary.passkeys.map((p) => [
    p.name,
    p.deviceType,
    p.backedUp ? 'yes' : 'no',
    formatDate(p.createdAt),
    formatDate(p.lastUsedAt),
    p.id,
  ]);
  return `${head}\n\n${table(['PASSKEY', 'TYPE', 'BACKED UP', 'CREATED', 'LAST USED', 'ID'], rows)}`;
}

export async function userMfa(ctx: CommandContext, username: string): Promise<void> {
  const { accounts, mfa } = await ctx.services();
  const account = await findAccount(accounts, username);
  const summary = await mfa.summary(account.id);
  ctx.out.result(mfaJson(account, summary), () => human(account, summary));
}

export function register(parent: Command): void {
  parent
    .command('mfa')
    .description("show a user's second factors: authenticator app, passkeys, recovery codes left")
    .argument('<username>')
    .addHelpText('after', '\nExamples:\n  $ gatehouse user mfa alice\n  $ gatehouse user mfa alice --json')
    .action(action(async (ctx, [username]) => userMfa(ctx, username!)));
}
