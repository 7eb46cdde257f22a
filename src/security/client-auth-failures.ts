/**
 * Failed client authentications per source (RATE_LIMIT_CLIENT_AUTH_FAILURES) at the token,
 * introspection and revocation endpoints, so a client secret cannot be guessed by trial. A failure is
 * known only from the answer, so it is counted after the provider answered; while a source is over
 * the limit, each of its requests to those endpoints is refused before the provider reads it.
 *
 * A provider middleware (provider.use): it runs around the provider's routes and sees the answer its
 * error handler wrote. There, client authentication (lib/shared/client_auth.js) is the only source of
 * a 401; the status is checked as well as the body because a client asking for HTML gets the error
 * as a page.
 */
import type { Context, Next } from 'koa';
import type { RateLimits } from './rate-limits';
import { sourceOf } from './source';

export interface ClientAuthFailureDeps {
  /** The endpoints that authenticate clients: the provider's pathFor('token'), ... */
  paths: string[];
  rateLimits: RateLimits;
  proxy: boolean;
}

function failedClientAuthentication(ctx: Context): boolean {
  const body = ctx.body as { error?: unknown } | null | undefined;
  return ctx.status === 401 || (typeof body === 'object' && body?.error === 'invalid_client');
}

export function limitClientAuthFailures(deps: ClientAuthFailureDeps) {
  const paths = new Set(deps.paths);
  return async function refuseAfterClientAuthFailures(ctx: Context, next: Next): Promise<void> {
    if (!paths.has(ctx.path)) return next();
    const source = sourceOf(ctx.req, deps.proxy);
    const verdict = await deps.rateLimits.check('clientAuthFailures', source);
    if (!verdict.ok) {
      // The shape of the provider's own errors at these endpoints.
      ctx.status = 429;
      ctx.set('Retry-After', String(verdict.retryAfterSeconds));
      ctx.set('Cache-Control', 'no-store');
      ctx.body = {
        error: 'too_many_requests',
        error_description: `too many failed client authentications; retry after ${verdict.retryAfterSeconds} s`,
      };
      return;
    }
    await next();
    if (failedClientAuthentication(ctx)) await deps.rateLimits.consume('clientAuthFailures', source);
  };
}
