/** Administration of roles: list (with member counts), create, delete (`?force=true` for a role in use). */
import type { Context } from 'koa';
import type { RoleStore } from '../../accounts/roles';
import { GatehouseError, conflict, notFound } from '../../errors';
import { createRoleBody, deleteRoleQuery } from '../schemas';
import { validateBody, validateQuery } from '../validation';
import { roleView } from '../views';

export function listRoles({ roles }: { roles: Pick<RoleStore, 'list'> }) {
  return async function listRoles(ctx: Context): Promise<void> {
    ctx.body = { roles: (await roles.list()).map(roleView) };
  };
}

export function createRole({ roles }: { roles: Pick<RoleStore, 'create'> }) {
  return async function createRole(ctx: Context): Promise<void> {
    const body = validateBody(ctx, createRoleBody);
    if (!(await roles.create(body.name, body.description ?? undefined))) throw conflict('the role exists');
    ctx.status = 201;
    ctx.set('Location', `/api/admin/roles/${body.name}`);
    ctx.body = { name: body.name, description: body.description ?? null, members: 0 };
  };
}

export function deleteRole({ roles }: { roles: Pick<RoleStore, 'delete'> }) {
  return async function deleteRole(ctx: Context): Promise<void> {
    const query = validateQuery(ctx, deleteRoleQuery);
    const result = await roles.delete(String(ctx.params.name), { force: query.force === 'true' });
    if (result === 'not_found') throw notFound('no such role');
    if (result === 'in_use')
      throw new GatehouseError(
        'conflict',
        409,
        'the role is held by accounts; delete with ?force=true to remove it from them',
      );
    ctx.status = 204;
  };
}
