/**
 * The table of the API's routes, in three parts: the caller's own (spec/user-routes.ts), the
 * administration (spec/admin-routes.ts) and the integrator routes (spec/integrator-routes.ts). The
 * routers bind handlers to these entries and the OpenAPI document is generated from all of them.
 */
import { ACCOUNT_ROUTES } from './spec/account-routes';
import { ADMIN_ROUTES } from './spec/admin-routes';
import { CONSENT_ROUTES } from './spec/consent-routes';
import { INTEGRATOR_ROUTES } from './spec/integrator-routes';
import { RECOVERY_ROUTES } from './spec/recovery-routes';
import type { RouteSpec } from './spec/route';
import { USER_ROUTES as PROFILE_AND_TOKEN_ROUTES } from './spec/user-routes';

export type { Access, Method, RouteSpec } from './spec/route';

/** The caller's own routes: profile, tokens and second factors, remembered consents, the account. */
const USER_ROUTES: RouteSpec[] = [...PROFILE_AND_TOKEN_ROUTES, ...CONSENT_ROUTES, ...ACCOUNT_ROUTES];
export { ADMIN_ROUTES, INTEGRATOR_ROUTES, RECOVERY_ROUTES, USER_ROUTES };

/** Every route under /api, in the order the document lists them. */
export const ALL_ROUTES: readonly RouteSpec[] = [
  ...USER_ROUTES,
  ...RECOVERY_ROUTES,
  ...ADMIN_ROUTES,
  ...INTEGRATOR_ROUTES,
];
