/** Helpers the user commands share: look-ups that fail clearly, role checks, the JSON shape. */
import type { RoleStore } from '../accounts/roles';
import { ROLE_NAME_PATTERN } from '../accounts/roles';
import type { Account, AccountStore } from '../accounts/store';
import { notFound, usageError } from './errors';

export async function findAccount(
  accounts: Pick<AccountStore, 'findByUsername'>,
  username: string,
): Promise<Account> {
  const account = await accounts.findByUsername(username);
  if (!account) throw notFound(`no user ${username}`);
  return account;
}

export function checkRoleNames(names: string[]): string[] {
  const bad = names.filter((n) => !ROLE_NAME_PATTERN.test(n));
  if (bad.length)
    throw usageError(`not a role name: ${bad.join(', ')} (lower-case letters, digits and _ . : -)`);
  return [...new Set(names)];
}

/** Refuses roles that do not exist: a typo must not hand out a new role. */
export async function requireRoles(roles: Pick<RoleStore, 'exists'>, names: string[]): Promise<void> {
  const known = new Set(await roles.exists(names));
  const missing = names.filter((n) => !known.has(n));
  if (missing.length)
    throw notFound(
      `no role ${missing.join(', ')}: create it first with \`gatehouse role create ${missing[0]}\``,
    );
}

/** What --json prints for an account. */
export function accountJson(account: Account) {
  return {
    id: account.id,
    username: account.username,
    email: account.email,
    email_verified: account.emailVerified,
    roles: account.roles,
    disabled: account.disabled,
    created_at: account.createdAt,
    updated_at: account.updatedAt,
  };
}
