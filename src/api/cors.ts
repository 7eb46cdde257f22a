/**
 * CORS for /api only, and only for the origins in API_CORS_ORIGINS. A global CORS middleware would
 * switch off oidc-provider's own per-client CORS on its endpoints, so this one never touches other
 * paths. Requests from other origins get no CORS headers at all, so browsers refuse them. No
 * credentials: the API authenticates with bearer tokens, never cookies.
 */
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { API_PREFIX } from './paths';

export const CORS_ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE';
export const CORS_ALLOWED_HEADERS = 'Authorization, Content-Type, X-Service-Key';
export const CORS_EXPOSED_HEADERS = 'WWW-Authenticate, Location';

export function apiCors(origins: string[]) {
  const allowed = new Set(origins.map((origin) => new URL(origin).origin));
  return async function applyApiCors(ctx: Context, next: Next): Promise<void> {
    ctx.vary('Origin');
    const origin = ctx.get('origin');
    if (!origin || !allowed.has(origin)) return next();
    ctx.set('Access-Control-Allow-Origin', origin);
    if (ctx.method === 'OPTIONS' && ctx.get('access-control-request-method')) {
      // A preflight (Fetch standard, CORS protocol): answered here, never by a route.
      ctx.set('Access-Control-Allow-Methods', CORS_ALLOWED_METHODS);
      ctx.set('Access-Control-Allow-Headers', CORS_ALLOWED_HEADERS);
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    ctx.set('Access-Control-Expose-Headers', CORS_EXPOSED_HEADERS);
    await next();
  };
}

/** Mounted before every router under /api (the integrator's too), so the whole API shares one policy. */
export function createApiCorsRouter(origins: string[]): Router {
  const router = new Router();
  router.all([API_PREFIX, `${API_PREFIX}/*rest`], apiCors(origins));
  return router;
}
