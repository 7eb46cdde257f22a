/** GET /api/roles: the caller's roles (the same list the `roles` claim releases). */
import type { Context } from 'koa';
import { authOf } from './bearer';

export function getRoles() {
  return async function getRoles(ctx: Context): Promise<void> {
    ctx.body = { roles: authOf(ctx).account.roles };
  };
}
