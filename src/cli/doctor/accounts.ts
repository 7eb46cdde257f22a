/**
 * Accounts that can administer Gatehouse with a password alone: enabled accounts with the `admin`
 * role and no active second factor (an authenticator app confirmed, or a passkey: what
 * MfaStore.hasSecondFactor counts; recovery codes only back those up). Serious in production, a
 * warning elsewhere (the demo admin has none).
 */
import { count, finding, inProduction, ok, type CheckContext, type DatabaseCheck } from './finding';

export const ADMIN_ROLE = 'admin';

async function adminsWithoutSecondFactor(ctx: CheckContext) {
  const rows = await ctx.db.raw<{ rows: { id: string; username: string }[] }>(
    `select a.id, a.username from accounts a
       join account_roles r on r.account_id = a.id and r.role_name = ?
      where not a.disabled
        and not exists (select 1 from mfa_totp t where t.account_id = a.id and t.status = 'active')
        and not exists (select 1 from webauthn_credentials w where w.account_id = a.id)
      order by lower(a.username)`,
    [ADMIN_ROLE],
  );
  const admins = rows.rows;
  if (!admins.length)
    return [ok('accounts.admin_without_mfa', 'every enabled administrator has a second factor')];
  const names = admins.map((a) => a.username);
  return [
    finding(
      inProduction(ctx.config),
      'accounts.admin_without_mfa',
      `${count(admins.length, 'administrator')} ${admins.length === 1 ? 'signs' : 'sign'} in with a password alone: ${names.slice(0, 5).join(', ')}` +
        `${names.length > 5 ? ', …' : ''} (each should enroll an authenticator app or a passkey)`,
      { accounts: admins },
    ),
  ];
}

export const accountChecks: DatabaseCheck[] = [
  { name: 'accounts.admin_without_mfa', run: adminsWithoutSecondFactor },
];
