/** Administration of roles: list (with member counts), create, delete (`?force=true` for a role in use). */
import type { Context } from 'koa';
import { GatehouseError, conflict, notFound } from '../../errors';
import type { ApiDeps } from '../deps';
import { createRoleBody, deleteRoleQuery } from '../schemas';
import { validateBody, validateQuery } from '../validation';
import { roleView } from '../views';

export function listRoles({ services }: ApiDeps) {
  return async function listRoles(ctx: Context): Promise<void> {
    ctx.body = { roles: (await services.roles.list()).map(roleView) };
  };
}

export function createRole({ services }: ApiDeps) {
  return async function createRole(ctx: Context): Promise<void> {
    const body = validateBody(ctx, createRoleBody);
    if (!(await services.roles.create(body.name, body.description ?? undefined)))
      throw conflict('the role exists');
    ctx.status = 201;
    ctx.set('Location', `/api/admin/roles/${body.name}`);
    ctx.body = { name: body.name, description: body.description ?? null, members: 0 };
  };
}

export function deleteRole({ services }: ApiDeps) {
  return async function deleteRole(ctx: Context): Promise<void> {
    const query = validateQuery(ctx, deleteRoleQuery);
    const result = await services.roles.delete(String(ctx.params.name), { force: query.force === 'true' });
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
