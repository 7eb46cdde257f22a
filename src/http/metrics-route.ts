/**
 * GET /metrics in the Prometheus text format (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * On the main port only with METRICS_TOKEN, as a bearer token (RFC 6750 §2.1) compared in constant
 * time: the numbers tell who uses the node and how, which is not for the public. Without the token
 * the route does not exist (the host's 404 for any unknown path). METRICS_PORT serves the same text
 * without a token on the loopback address instead (http/metrics-server.ts), for a local scraper.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import { GatehouseError } from '../errors';
import type { NodeMetrics } from '../metrics/registry';

export const METRICS_PATH = '/metrics';

const BEARER = /^Bearer ([\x21-\x7e]+)$/i;

// Digests first: equal lengths for timingSafeEqual, so the comparison tells nothing of the length.
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function metricsRouter(metrics: NodeMetrics, token: string): Router {
  const expected = digest(token);
  const router = new Router();
  router.get(METRICS_PATH, async function getMetrics(ctx) {
    const presented = BEARER.exec(ctx.get('authorization'))?.[1];
    if (!presented || !timingSafeEqual(digest(presented), expected))
      throw new GatehouseError('invalid_token', 401, 'a valid metrics bearer token is required', {
        headers: {
          'WWW-Authenticate': presented
            ? 'Bearer realm="metrics", error="invalid_token"'
            : 'Bearer realm="metrics"',
        },
      });
    const { contentType, body } = await metrics.render();
    ctx.set('Cache-Control', 'no-store');
    ctx.type = contentType;
    ctx.body = body;
  });
  return router;
}
