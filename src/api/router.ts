/**
 * The sidecar API's routers, built from the route table (spec.ts): user routes and admin routes on
 * separate routers, each route behind the checks its table entry names, and a last router that
 * answers every other path under /api with a JSON 404 (or 405 with Allow for a known path).
 */
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Provider } from 'oidc-provider';
import { GatehouseError, notFound } from '../errors';
import { parseBody } from '../http/body';
import { refuseUnstorableInput } from '../http/input';
import type { Services } from '../services';
import * as adminClients from './admin/clients';
import * as adminRoles from './admin/roles';
import * as adminServiceKeys from './admin/service-keys';
import * as adminUsers from './admin/users';
import { authenticateBearer, requireRole, requireScope } from './bearer';
import type { ApiDeps } from './deps';
import { logout } from './logout';
import { buildOpenApiDocument } from './openapi';
import { API_PREFIX } from './paths';
import { getProfile, updateProfile } from './profile';
import { getRoles } from './roles';
import { ADMIN_ROUTES, USER_ROUTES, type RouteSpec } from './spec';
import { validateToken } from './tokens';
import { getUserinfo } from './userinfo';

type HandlerFactory = (deps: ApiDeps) => Middleware;

function getOpenApiDocument({ services }: ApiDeps): Middleware {
  const document = buildOpenApiDocument({ issuer: services.config.issuer });
  return async function getOpenApiDocument(ctx: Context): Promise<void> {
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = document;
  };
}

const USER_HANDLERS: Record<string, HandlerFactory> = {
  getProfile,
  updateProfile,
  getRoles,
  getUserinfo,
  validateToken,
  logout,
  getOpenApiDocument,
};

const ADMIN_HANDLERS: Record<string, HandlerFactory> = {
  ...adminUsers,
  ...adminRoles,
  ...adminClients,
  ...adminServiceKeys,
};

function buildRouter(deps: ApiDeps, routes: RouteSpec[], handlers: Record<string, HandlerFactory>): Router {
  const { services, provider } = deps;
  const bearer = authenticateBearer(provider, services.accounts);
  const body = parseBody({ limitBytes: services.config.api.bodyLimitBytes });
  const router = new Router();
  for (const route of routes) {
    const handler = handlers[route.operationId];
    if (!handler) throw new Error(`no handler for ${route.operationId}`);
    const chain: Middleware[] = [];
    if (route.access === 'bearer' || route.access === 'admin') chain.push(bearer);
    if (route.access === 'admin') chain.push(requireScope('admin'), requireRole('admin'));
    else if (route.scope) chain.push(requireScope(route.scope));
    chain.push(refuseUnstorableInput);
    if (route.body) chain.push(body);
    chain.push(handler(deps));
    router[route.method](route.operationId, route.path, ...chain);
  }
  return router;
}

/** Unknown paths under /api: 404 JSON; a known path with another method: 405 with Allow. */
function createFallbackRouter(routers: Router[]): Router {
  const router = new Router();
  router.all([API_PREFIX, `${API_PREFIX}/*rest`], async function answerUnknownRoute(ctx: Context) {
    const methods = new Set<string>();
    for (const r of routers)
      for (const layer of r.match(ctx.path, ctx.method).path) for (const m of layer.methods) methods.add(m);
    if (!methods.size) throw notFound('no such API route');
    const allow = [...methods].join(', ');
    if (ctx.method === 'OPTIONS') {
      ctx.set('Allow', allow);
      ctx.status = 204;
      return;
    }
    throw new GatehouseError('invalid_request', 405, `method not allowed; allowed: ${allow}`, {
      headers: { Allow: allow },
    });
  });
  return router;
}

/** The user router, the admin router and the /api fallback, in the order they must be mounted. */
export function createApiRouters(services: Services, provider: Provider): Router[] {
  const deps: ApiDeps = { services, provider };
  const user = buildRouter(deps, USER_ROUTES, USER_HANDLERS);
  const admin = buildRouter(deps, ADMIN_ROUTES, ADMIN_HANDLERS);
  return [user, admin, createFallbackRouter([user, admin])];
}
