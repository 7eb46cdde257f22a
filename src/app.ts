/**
 * The Koa host: security headers, the error shape, health routes, Gatehouse's own routers, and the
 * oidc-provider instance behind them. The provider gets the raw request (its own Koa app, its own
 * body parsing and cookie keys); Gatehouse's routes never parse the provider's bodies. It is bound to
 * one provider instance and its cookie keys, so the node builds a new one on every key rotation.
 */
import Koa from 'koa';
import Router from '@koa/router';
import type { Provider } from 'oidc-provider';
import type { Config } from './config';
import { isReady, type Database } from './db/database';
import { djangoPaths } from './oidc/django-paths';
import { findScope } from './oidc/shared-finds';
import { errorHandler } from './http/errors';
import type { ShutdownState } from './http/drain';
import { checkHost } from './http/host';
import { requestContext } from './http/request-context';
import { ANSWERED_BY_PROVIDER, requestMetrics } from './http/request-metrics';
import { providerRouteLabels } from './metrics/route-labels';
import { securityHeaders } from './http/security-headers';
import type { Logger } from './log';
import type { MetricsSink } from './metrics/sink';

export interface AppDeps {
  db: Database;
  provider: Provider;
  logger: Logger;
  cookieKeys: string[];
  /** Routers mounted before the provider (interactions, /api), in order. */
  routers?: Router[];
  /** Set while the node drains for a shutdown. */
  shutdown?: ShutdownState;
  /** The node's metrics, reachable from every request's context. */
  metrics?: MetricsSink;
}

function healthRouter(db: Database, shutdown?: ShutdownState): Router {
  const router = new Router();
  router.get('/healthz', function getHealth(ctx) {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async function getReadiness(ctx) {
    ctx.set('Cache-Control', 'no-store');
    // Checked before and after the database: once a shutdown has begun, the load balancer is told
    // at once to send nothing more here, and no answer written during it says ready.
    const ready = !shutdown?.draining && (await isReady(db));
    if (shutdown?.draining) {
      ctx.status = 503;
      ctx.body = { status: 'shutting down' };
      return;
    }
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'unavailable', database: ready ? 'ok' : 'unreachable' };
  });
  return router;
}

export function createApp(config: Config, deps: AppDeps): Koa {
  const app = new Koa({ proxy: config.proxy, keys: deps.cookieKeys });
  app.silent = true;
  // Outermost, so it times and counts every answer: Gatehouse's, the provider's, the errors'.
  if (deps.metrics) app.use(requestMetrics(deps.metrics, providerRouteLabels(deps.provider)));
  // The request's id, source and actor, for the audit trail and the metrics of everything below.
  app.use(requestContext({ proxy: config.proxy, ...(deps.metrics ? { metrics: deps.metrics } : {}) }));
  // Rows one statement reads ahead for the next look-up (a token's grant) stay within their request.
  app.use(function scopeFinds(_ctx, next) {
    return findScope(next);
  });
  app.use(securityHeaders({ hsts: config.issuer.startsWith('https://') }));
  app.use(errorHandler(deps.logger));
  app.use(checkHost);
  // DJANGO_COMPAT: django-oauth-toolkit's /o/ paths, rewritten before anything routes them.
  if (config.djangoCompat) app.use(djangoPaths(deps.provider));
  const health = healthRouter(deps.db, deps.shutdown);
  app.use(health.routes());
  for (const router of deps.routers ?? []) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  const providerCallback = deps.provider.callback();
  app.use(async function delegateToProvider(ctx) {
    // The provider answers everything else, 404s included, with its own OAuth error format.
    ctx.respond = false;
    ctx.state[ANSWERED_BY_PROVIDER] = true;
    await providerCallback(ctx.req, ctx.res);
  });
  return app;
}
