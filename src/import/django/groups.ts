/**
 * Django groups -> Gatehouse roles (the `roles` claim). A role name is lower-case letters, digits and
 * `_ . : -` (accounts/roles.ts), so a group's name is folded into one: lower-cased, any other run of
 * characters becomes `-` (`Support Team` -> `support-team`). A group whose name folds to nothing
 * valid is skipped and reported. A group may not become `admin`: that role opens /api/admin and
 * follows Django's `is_superuser` alone, never a group someone named so.
 */
import type { Knex } from 'knex';
import { ROLE_NAME_PATTERN } from '../../accounts/roles';
import type { ImportLinks } from '../links';
import type { DjangoGroup } from './source';

export const ADMIN_ROLE = 'admin';

export interface GroupsReport {
  /** Roles created for groups. */
  created: number;
  /** Groups whose role already existed (linked now or by an earlier run). */
  existing: number;
  skipped: { group: string; reason: 'invalid_name' | 'reserved_name' }[];
  /** Django group name -> role name, for the groups that have one. */
  roles: Record<string, string>;
}

export interface GroupsPlan {
  report: GroupsReport;
  /** Django group id -> role name. */
  roleByGroupId: Map<string, string>;
  /** Every role any Django group maps to, now or in an earlier run: what the import keeps in step. */
  managedRoles: Set<string>;
  toCreate: { name: string; description: string }[];
  toLink: { sourceKey: string; targetId: string }[];
}

/** The role name a group's name folds into, or null when none is valid. */
export function roleNameOf(group: string): string | null {
  const name = group
    .toLowerCase()
    .replace(/[^a-z0-9_.:-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '');
  return ROLE_NAME_PATTERN.test(name) ? name : null;
}

export async function planGroups(
  trx: Knex.Transaction,
  links: ImportLinks,
  groups: DjangoGroup[],
): Promise<GroupsPlan> {
  const linked = await links.all('group');
  const wanted = new Map<string, string>();
  const report: GroupsReport = { created: 0, existing: 0, skipped: [], roles: {} };
  for (const group of groups) {
    const role = roleNameOf(group.name);
    if (!role) report.skipped.push({ group: group.name, reason: 'invalid_name' });
    else if (role === ADMIN_ROLE) report.skipped.push({ group: group.name, reason: 'reserved_name' });
    else wanted.set(group.id, role);
  }
  const names = [...new Set(wanted.values())];
  const existing = new Set<string>(
    names.length ? await trx('roles').whereIn('name', names).pluck('name') : [],
  );
  const toCreate: GroupsPlan['toCreate'] = [];
  for (const [id, role] of wanted) {
    const group = groups.find((g) => g.id === id)!;
    report.roles[group.name] = role;
    if (existing.has(role) || toCreate.some((r) => r.name === role)) report.existing += 1;
    else {
      toCreate.push({ name: role, description: `Django group ${group.name}`.slice(0, 255) });
      report.created += 1;
    }
  }
  const toLink = [...wanted]
    .filter(([id, role]) => linked.get(id) !== role)
    .map(([sourceKey, targetId]) => ({ sourceKey, targetId }));
  const managedRoles = new Set([...linked.values(), ...wanted.values()]);
  return { report, roleByGroupId: wanted, managedRoles, toCreate, toLink };
}

export async function writeGroups(
  trx: Knex.Transaction,
  links: ImportLinks,
  plan: GroupsPlan,
): Promise<void> {
  if (plan.toCreate.length) await trx('roles').insert(plan.toCreate).onConflict('name').ignore();
  await links.record('group', plan.toLink);
}
