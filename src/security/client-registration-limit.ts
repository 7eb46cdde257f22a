/**
 * Dynamic client registrations per source (RATE_LIMIT_CLIENT_REGISTRATION, RFC 7591 §3): every POST
 * to the registration endpoint counts, whatever its answer, so that neither a flood of new clients
 * (CLIENT_REGISTRATION=open) nor guessing initial access tokens goes unbounded. The count is shared
 * by every node (security/rate-limits.ts).
 *
 * A provider middleware (provider.use), mounted inside the outage answer (oidc/unavailable.ts): when
 * the count cannot be made, the store's error propagates and is answered 503 temporarily_unavailable.
 * It is never mounted with CLIENT_REGISTRATION=off: there is no endpoint to protect.
 */
import type { Context, Next } from 'koa';
import type { RateLimits } from './rate-limits';
import { sourceOf } from './source';

export interface ClientRegistrationLimitDeps {
  /** The registration endpoint as the provider routes it (pathFor('registration'), at its root). */
  path: string;
  rateLimits: RateLimits;
  proxy: boolean;
}

export function limitClientRegistration(deps: ClientRegistrationLimitDeps) {
  return async function limitClientRegistration(ctx: Context, next: Next): Promise<void> {
    if (ctx.method !== 'POST' || ctx.path !== deps.path) return next();
    const verdict = await deps.rateLimits.consume('clientRegistration', sourceOf(ctx.req, deps.proxy));
    if (!verdict.ok) {
      // The shape of the provider's own errors at this endpoint (RFC 7591 §3.2.2, RFC 6749 §5.2).
      ctx.status = 429;
      ctx.set('Retry-After', String(verdict.retryAfterSeconds));
      ctx.set('Cache-Control', 'no-store');
      ctx.body = {
        error: 'too_many_requests',
        error_description: `too many client registrations; retry after ${verdict.retryAfterSeconds} s`,
      };
      return;
    }
    await next();
  };
}
