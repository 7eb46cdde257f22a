/**
 * Roles: named groups an account belongs to, released as the `roles` claim.
 */
import { recordAudit } from '../audit/record';
import type { Database } from '../db/database';

export interface Role {
  name: string;
  description: string | null;
  members: number;
}

export const ROLE_NAME_PATTERN = /^[a-z][a-z0-9_.:-]{0,63}$/;

export class RoleStore {
  constructor(private readonly db: Database) {}

  async list(): Promise<Role[]> {
    const rows = await this.db('roles as r')
      .select('r.name', 'r.description')
      .select(this.db.raw('(select count(*) from account_roles ar where ar.role_name = r.name) as members'))
      .orderBy('r.name');
    return rows.map((r: { name: string; description: string | null; members: string | number }) => ({
      name: r.name,
      description: r.description,
      members: Number(r.members),
    }));
  }

  async exists(names: string[]): Promise<string[]> {
    if (!names.length) return [];
    const rows = await this.db('roles').whereIn('name', names).select('name');
    return rows.map((r: { name: string }) => r.name);
  }

  /** Creates a role; false when it exists. */
  async create(name: string, description?: string): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const rows: unknown[] = await trx('roles')
        .insert({ name, description: description ?? null })
        .onConflict('name')
        .ignore()
        .returning('name');
      if (rows.length) await recordAudit(trx, { type: 'role.created', target: { type: 'role', id: name } });
      return rows.length > 0;
    });
  }

  /**
   * Deletes a role. A role that accounts hold is kept unless `force`; then it leaves those accounts too.
   */
  async delete(name: string, options: { force?: boolean } = {}): Promise<'deleted' | 'not_found' | 'in_use'> {
    return this.db.transaction(async (trx) => {
      const role = await trx('roles').where('name', name).first('name');
      if (!role) return 'not_found';
      const used = await trx('account_roles').where('role_name', name).first('role_name');
      if (used && !options.force) return 'in_use';
      await trx('roles').where('name', name).delete();
      await recordAudit(trx, {
        type: 'role.deleted',
        target: { type: 'role', id: name },
        data: { forced: Boolean(used) },
      });
      return 'deleted';
    });
  }
}
