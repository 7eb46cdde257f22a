/**
 * The table of the API's routes, in three parts: the caller's own (spec/user-routes.ts), the
 * administration (spec/admin-routes.ts) and the integrator routes (spec/integrator-routes.ts). The
 * routers bind handlers to these entries and the OpenAPI document is generated from all of them.
 */
import { ADMIN_ROUTES } from './spec/admin-routes';
import { INTEGRATOR_ROUTES } from './spec/integrator-routes';
import type { RouteSpec } from './spec/route';
import { USER_ROUTES } from './spec/user-routes';

export type { Access, Method, RouteSpec } from './spec/route';
export { ADMIN_ROUTES, INTEGRATOR_ROUTES, USER_ROUTES };

/** Every route under /api, in the order the document lists them. */
export const ALL_ROUTES: readonly RouteSpec[] = [...USER_ROUTES, ...ADMIN_ROUTES, ...INTEGRATOR_ROUTES];
