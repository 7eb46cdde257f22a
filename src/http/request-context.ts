/**
 * The first middleware of the host: opens the request context (audit/context.ts) with the request's
 * id, source address and user agent, and echoes the id in `X-Request-Id`. A caller's X-Request-Id is
 * kept when it is a short token (what proxies and tracing systems send), so a request can be followed
 * from the proxy's log into the audit trail; anything else is replaced by a fresh one.
 */
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import { runWithContext, type RequestContext } from '../audit/context';
import type { MetricsSink } from '../metrics/sink';
import { sourceOf } from '../security/source';

const REQUEST_ID = /^[\w.:-]{1,64}$/;

export function requestContext(options: { proxy: boolean; metrics?: MetricsSink }): Middleware {
  return async function openRequestContext(ctx, next) {
    const given = ctx.get('x-request-id');
    const requestId = REQUEST_ID.test(given) ? given : randomUUID();
    ctx.set('X-Request-Id', requestId);
    const userAgent = ctx.get('user-agent');
    const context: RequestContext = {
      requestId,
      ip: sourceOf(ctx.req, options.proxy),
      userAgent: userAgent ? userAgent.slice(0, 512) : null,
      actor: { type: 'anonymous', id: null },
      ...(options.metrics ? { metrics: options.metrics } : {}),
    };
    ctx.state.requestId = requestId;
    await runWithContext(context, () => next());
  };
}
