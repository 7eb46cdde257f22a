/**
 * django-oauth-toolkit's URLs (DJANGO_COMPAT=true): the paths DOT's clients and resource servers
 * already use, answered by the same provider, not a second implementation. DOT mounts its views
 * under `/o/` (its documented `path("o/", include("oauth2_provider.urls"))`) with Django's trailing
 * slashes (oauth2_provider/urls.py); here `/o/<DOT name>` is the provider's own route of that
 * purpose, and any other `/o/<path>` is `/<path>`, so that the URLs the provider builds under `/o`
 * (the resume URL of a sign-in, the logout confirmation, discovery's endpoints) lead back to it, and
 * an issuer of `https://host/o` (DOT's OIDC issuer) is served whole. The provider's own root paths
 * keep working beside them.
 *
 * The request is rewritten before anything routes it, and `req.originalUrl` keeps the `/o` prefix,
 * as a mount does: oidc-provider builds its absolute URLs with the mount path found by comparing the
 * two (lib/helpers/oidc_context.js urlFor), so a request that came through `/o/` is answered with
 * URLs under `/o/`. The request object is the one the provider's own Koa context wraps (app.ts hands
 * it to provider.callback()), so what is marked here is readable there (cameThroughDjangoPaths).
 */
import type { IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import type { Provider } from 'oidc-provider';

/** Where DOT's URLs live (its tutorial's and every DOT project's `path("o/", ...)`). */
export const DJANGO_PREFIX = '/o';

/**
 * DOT's URL names under the prefix, without their trailing slash (oauth2_provider/urls.py; `logout/`
 * is DOT ≥ 2.0's RP-initiated logout), and the provider's route of the same purpose.
 */
export const DJANGO_ROUTES: Readonly<Record<string, string>> = {
  authorize: 'authorization',
  token: 'token',
  revoke_token: 'revocation',
  introspect: 'introspection',
  userinfo: 'userinfo',
  '.well-known/openid-configuration': 'discovery',
  '.well-known/jwks.json': 'jwks',
  logout: 'end_session',
};

/** Requests that came through the `/o/` surface; the raw request is shared with the provider. */
const throughDjango = new WeakSet<IncomingMessage>();

/** Whether this request came through DOT's `/o/` paths (a host or a provider context alike). */
export function cameThroughDjangoPaths(ctx: { req: IncomingMessage }): boolean {
  return throughDjango.has(ctx.req);
}

/** The host middleware that serves `/o/...` as the provider's (and Gatehouse's) own paths. */
export function djangoPaths(provider: Provider): Middleware {
  // The routes' paths at the root, whatever the issuer's path: the provider routes from its root.
  const routes = new Map(
    Object.entries(DJANGO_ROUTES).map(([name, route]) => [name, provider.pathFor(route, { mountPath: '' })]),
  );
  return async function rewriteDjangoPaths(ctx, next) {
    const { path } = ctx;
    if (path !== DJANGO_PREFIX && !path.startsWith(`${DJANGO_PREFIX}/`)) return next();
    let rest = path.slice(DJANGO_PREFIX.length);
    // Django's URLs end in a slash (APPEND_SLASH); the provider's do not.
    if (rest.length > 1 && rest.endsWith('/')) rest = rest.slice(0, -1);
    ctx.path = routes.get(rest.slice(1)) ?? (rest || '/');
    // As a mount leaves it: the prefix, then the URL the provider routes (query string included).
    (ctx.req as IncomingMessage & { originalUrl?: string }).originalUrl = `${DJANGO_PREFIX}${ctx.url}`;
    throughDjango.add(ctx.req);
    return next();
  };
}
