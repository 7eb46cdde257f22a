/**
 * Times every request the host answers, Gatehouse's routes and the provider's alike, and hands the
 * node's metrics its method, route TEMPLATE and status. The template is koa-router's matched route
 * (`/interaction/:uid`) for Gatehouse's routes, the provider's route (metrics/route-labels.ts) for
 * what the provider answered (marked by the host with `answeredByProvider`), and `unmatched` for
 * anything else: never the raw path, which may carry an id or a token and has no bound.
 *
 * Cheap on purpose: a timestamp, a property read or two, and the labels object prom-client needs.
 */
import type { Context, Middleware } from 'koa';
import type { MetricsSink } from '../metrics/sink';
import { UNMATCHED_ROUTE, type RouteLabeler } from '../metrics/route-labels';

/** The state key the host sets on a request it hands to the provider. */
export const ANSWERED_BY_PROVIDER = 'answeredByProvider';

// HTTP methods are a fixed set (RFC 9110 §9); anything else is one label, not one per spelling.
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

function routeOf(ctx: Context, providerRoute: RouteLabeler): string {
  if (ctx.state[ANSWERED_BY_PROVIDER] === true) return providerRoute(ctx.path);
  // A Gatehouse route that hands the request to the provider's endpoint itself (the integrator's
  // token routes) keeps its own template.
  const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  return typeof matched === 'string' ? matched : UNMATCHED_ROUTE;
}

export function requestMetrics(metrics: MetricsSink, providerRoute: RouteLabeler): Middleware {
  return async function countRequest(ctx, next) {
    const started = performance.now();
    try {
      await next();
    } finally {
      const method = METHODS.has(ctx.method) ? ctx.method : 'OTHER';
      // With `respond = false` the provider wrote the status on the response itself.
      const status = ctx.respond === false ? ctx.res.statusCode : ctx.status;
      metrics.httpRequest(method, routeOf(ctx, providerRoute), status, (performance.now() - started) / 1000);
    }
  };
}
