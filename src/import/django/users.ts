/**
 * Django users -> Gatehouse accounts, planned then written in the caller's transaction.
 *
 * - The username is kept. Gatehouse's are unique without regard to case (a unique index on
 *   lower(username)), Django's are not: of two Django users whose names differ only in case, the one
 *   an earlier run imported, else the one who signed in last, comes over; the other is reported. An
 *   existing Gatehouse account of the name that no import created (or that another Django user's
 *   import created) is a collision too: that user is skipped and reported, the account untouched.
 * - email, first/last name -> given/family name, is_active -> disabled, date_joined -> created_at,
 *   last_login -> last_login_at (the later of Django's and Gatehouse's own on a second run). An email
 *   is unverified unless --trust-emails says Django checked addresses; a second run keeps a
 *   verification made at Gatehouse while the address is unchanged.
 * - Roles: the groups' roles (groups.ts), `admin` for is_superuser, --staff-role for is_staff. A
 *   second run keeps roles given at Gatehouse that no group maps to, and sets the rest as Django says.
 * - The password as passwords.ts decides; a second run keeps a hash Gatehouse wrote since (a sign-in's
 *   rehash, a reset).
 * - An account an earlier run created and an operator deleted since is not created again (reported).
 *
 * Gatehouse's `sub` is its account id (a UUID): the id a Django user's account gets here.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { AccountRow } from '../../accounts/account-row';
import { usernameKey } from '../../accounts/username';
import { isStorableText } from '../../db/text';
import type { ImportLinks } from '../links';
import { ADMIN_ROLE, type GroupsPlan } from './groups';
import { HashFormats, importedPassword, isGatehouseHash, type HashFormatCount } from './passwords';
import type { DjangoUser } from './source';

export interface UserImportOptions {
  staffRole?: string;
  allowWeakHashes: boolean;
  trustEmails: boolean;
}

export type UserSkipReason = 'collision' | 'invalid_username' | 'deleted_in_gatehouse';

export interface Collision {
  username: string;
  /** Django users (ids) of the name, the imported one first when one is. */
  djangoUserIds: string[];
  /** `gatehouse_account`: an account no import of this user created; `case`: Django users differing in case. */
  with: 'gatehouse_account' | 'case';
  imported: string | null;
}

export interface UsersReport {
  total: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: { djangoUserId: string; username: string; reason: UserSkipReason }[];
  collisions: Collision[];
  hashFormats: HashFormatCount[];
  /** Users imported without a password: why, by user. */
  withoutPassword: {
    djangoUserId: string;
    username: string;
    reason: 'unusable' | 'weak_hash' | 'unknown_hash';
  }[];
}

/** The columns of an account row an import writes, and the account's roles. */
type AccountState = Pick<
  AccountRow,
  | 'id'
  | 'username'
  | 'password_hash'
  | 'email'
  | 'email_verified'
  | 'given_name'
  | 'family_name'
  | 'disabled'
  | 'created_at'
  | 'last_login_at'
> & { roles: string[] };

type Row = Omit<AccountState, 'roles'>;

export interface UserWrite {
  djangoUserId: string;
  row: Row;
  roles: string[];
  insert: boolean;
}

export interface UsersPlan {
  report: UsersReport;
  writes: UserWrite[];
  /** Django user id -> account id: every user with an account (this run's planned ids included). */
  accountIdByUserId: Map<string, string>;
  /** Django user id -> username at Gatehouse, for the subject map. */
  usernames: Map<string, string>;
}

const ROW_COLUMNS = [
  'id',
  'username',
  'password_hash',
  'email',
  'email_verified',
  'given_name',
  'family_name',
  'disabled',
  'created_at',
  'last_login_at',
] as const;

async function loadAccounts(trx: Knex.Transaction, column: 'id' | 'lower', values: string[]) {
  const found: AccountState[] = [];
  for (let i = 0; i < values.length; i += 1000) {
    const batch = values.slice(i, i + 1000);
    const query = trx('accounts as a').select(
      ...ROW_COLUMNS.map((c) => `a.${c}`),
      trx.raw(`coalesce((select array_agg(ar.role_name order by ar.role_name) from account_roles ar
                 where ar.account_id = a.id), '{}') as roles`),
    );
    const rows: (Row & { roles: string[] | string })[] =
      column === 'id'
        ? await query.whereIn('a.id', batch)
        : await query.whereRaw('lower(a.username) = any(?)', [batch]);
    for (const r of rows)
      found.push({
        ...r,
        roles: Array.isArray(r.roles)
          ? r.roles
          : r.roles
              .replace(/^\{|\}$/g, '')
              .split(',')
              .filter(Boolean),
      });
  }
  return found;
}

const sameTime = (a: Date | null, b: Date | null) => (a?.getTime() ?? null) === (b?.getTime() ?? null);
const later = (a: Date | null, b: Date | null) => (!a ? b : !b ? a : a > b ? a : b);

function sameRow(a: Row, b: Row): boolean {
  return ROW_COLUMNS.every((c) =>
    c === 'created_at' || c === 'last_login_at' ? sameTime(a[c], b[c]) : a[c] === b[c],
  );
}

/** Of Django users whose names fold alike, which comes over: the linked one, else the last to sign in. */
function pickOne(users: DjangoUser[], linked: Map<string, string>): DjangoUser {
  return [...users].sort(
    (a, b) =>
      Number(linked.has(b.id)) - Number(linked.has(a.id)) ||
      (b.lastLogin?.getTime() ?? 0) - (a.lastLogin?.getTime() ?? 0) ||
      Number(a.id) - Number(b.id) ||
      a.id.localeCompare(b.id),
  )[0]!;
}

export async function planUsers(
  trx: Knex.Transaction,
  links: ImportLinks,
  users: DjangoUser[],
  groups: GroupsPlan,
  options: UserImportOptions,
): Promise<UsersPlan> {
  const report: UsersReport = {
    total: users.length,
    created: 0,
    updated: 0,
    unchanged: 0,
    skipped: [],
    collisions: [],
    hashFormats: [],
    withoutPassword: [],
  };
  const linked = await links.all('user');
  const linkedAccounts = new Set(linked.values());
  const byId = new Map((await loadAccounts(trx, 'id', [...linkedAccounts])).map((a) => [a.id, a]));

  const valid: DjangoUser[] = [];
  for (const user of users) {
    const ok = user.username === user.username.trim() && usernameKey(user.username) !== null;
    if (ok) valid.push(user);
    else report.skipped.push({ djangoUserId: user.id, username: user.username, reason: 'invalid_username' });
  }
  const byFolded = new Map<string, DjangoUser[]>();
  for (const user of valid) {
    const key = usernameKey(user.username)!;
    byFolded.set(key, [...(byFolded.get(key) ?? []), user]);
  }
  const byName = new Map(
    (await loadAccounts(trx, 'lower', [...byFolded.keys()])).map((a) => [a.username.toLowerCase(), a]),
  );

  const managed = new Set([
    ...groups.managedRoles,
    ADMIN_ROLE,
    ...(options.staffRole ? [options.staffRole] : []),
  ]);
  const formats = new HashFormats();
  const plan: UsersPlan = { report, writes: [], accountIdByUserId: new Map(), usernames: new Map() };

  for (const [folded, candidates] of byFolded) {
    const user = pickOne(candidates, linked);
    const others = candidates.filter((c) => c !== user);
    if (others.length) {
      report.collisions.push({
        username: user.username,
        djangoUserIds: [user.id, ...others.map((o) => o.id)],
        with: 'case',
        imported: user.id,
      });
      for (const o of others)
        report.skipped.push({ djangoUserId: o.id, username: o.username, reason: 'collision' });
    }
    const linkedId = linked.get(user.id);
    const current = linkedId ? byId.get(linkedId) : undefined;
    const holder = byName.get(folded);
    if (linkedId && !current) {
      report.skipped.push({ djangoUserId: user.id, username: user.username, reason: 'deleted_in_gatehouse' });
      continue;
    }
    if (holder && holder.id !== current?.id) {
      // The name is another account's: one no import created, or another Django user's import.
      report.collisions.push({
        username: user.username,
        djangoUserIds: [user.id],
        with: 'gatehouse_account',
        imported: null,
      });
      report.skipped.push({ djangoUserId: user.id, username: user.username, reason: 'collision' });
      continue;
    }

    const password = importedPassword(user.password, options.allowWeakHashes);
    formats.add(password);
    if (password.hash === null && password.reason !== 'unusable')
      report.withoutPassword.push({
        djangoUserId: user.id,
        username: user.username,
        reason: password.reason,
      });
    const email = user.email && isStorableText(user.email) ? user.email : null;
    const row: Row = {
      id: current?.id ?? randomUUID(),
      username: user.username,
      // A hash Gatehouse wrote since an earlier run (a sign-in's rehash, a reset) stays.
      password_hash:
        current && isGatehouseHash(current.password_hash) ? current.password_hash : password.hash,
      email,
      email_verified: options.trustEmails
        ? email !== null
        : current !== undefined && current.email === email && current.email_verified,
      given_name: user.firstName && isStorableText(user.firstName) ? user.firstName : null,
      family_name: user.lastName && isStorableText(user.lastName) ? user.lastName : null,
      disabled: !user.isActive,
      created_at: user.dateJoined,
      last_login_at: later(user.lastLogin, current?.last_login_at ?? null),
    };
    const djangoRoles = [
      ...user.groupIds.map((id) => groups.roleByGroupId.get(id)).filter((r): r is string => Boolean(r)),
      ...(user.isSuperuser ? [ADMIN_ROLE] : []),
      ...(user.isStaff && options.staffRole ? [options.staffRole] : []),
    ];
    const kept = (current?.roles ?? []).filter((r) => !managed.has(r));
    const roles = [...new Set([...kept, ...djangoRoles])].sort();
    plan.accountIdByUserId.set(user.id, row.id);
    plan.usernames.set(user.id, row.username);
    if (!current) {
      report.created += 1;
      plan.writes.push({ djangoUserId: user.id, row, roles, insert: true });
    } else if (sameRow(row, current) && roles.join(' ') === [...current.roles].sort().join(' ')) {
      report.unchanged += 1;
    } else {
      report.updated += 1;
      plan.writes.push({ djangoUserId: user.id, row, roles, insert: false });
    }
  }
  report.hashFormats = formats.list();
  return plan;
}

/** Writes the plan and the links, in the caller's transaction. */
export async function writeUsers(
  trx: Knex.Transaction,
  links: ImportLinks,
  plan: UsersPlan,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const roles = [...new Set(plan.writes.flatMap((w) => w.roles))];
  if (roles.length)
    await trx('roles')
      .insert(roles.map((name) => ({ name })))
      .onConflict('name')
      .ignore();
  const now = new Date();
  const inserts = plan.writes.filter((w) => w.insert);
  let done = 0;
  for (let i = 0; i < inserts.length; i += 500) {
    const batch = inserts.slice(i, i + 500);
    await trx('accounts').insert(batch.map((w) => ({ ...w.row, updated_at: now })));
    const memberships = batch.flatMap((w) =>
      w.roles.map((role_name) => ({ account_id: w.row.id, role_name })),
    );
    if (memberships.length) await trx('account_roles').insert(memberships);
    done += batch.length;
    onProgress?.(done, plan.writes.length);
  }
  for (const write of plan.writes.filter((w) => !w.insert)) {
    const { id, ...columns } = write.row;
    await trx('accounts')
      .where('id', id)
      .update({ ...columns, updated_at: now });
    await trx('account_roles').where('account_id', id).delete();
    if (write.roles.length)
      await trx('account_roles').insert(write.roles.map((role_name) => ({ account_id: id, role_name })));
    done += 1;
    onProgress?.(done, plan.writes.length);
  }
  await links.record(
    'user',
    inserts.map((w) => ({ sourceKey: w.djangoUserId, targetId: w.row.id })),
  );
}
