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
 *
 * Asking the shared count before every request would cost every token and introspection request a
 * database round trip (a quarter of their throughput in `npm run bench`). A source whose last
 * request here did not fail is trusted for CLEAN_FOR_MS without asking again; a source that fails is
 * asked about on every request, on this node. So a guesser is refused exactly at the limit on the
 * node it fails on, and on every other node within CLEAN_FOR_MS of its last success there.
 *
 * When the database cannot be reached, `check` and `consume` reject with the store's own error
 * (rate-limiter-flexible passes it through when no insurance limiter is set). It is left to
 * propagate: the provider's outermost middleware (oidc/unavailable.ts) answers it with a 503
 * temporarily_unavailable, also when the count fails after the provider answered, since a failure
 * that cannot be counted must not be let through as if it had been.
 */
import type { Context, Next } from 'koa';
import type { RateLimitVerdict, RateLimits } from './rate-limits';
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

/** How long a node trusts that a source with no failure since its last check is under the limit. */
export const CLEAN_FOR_MS = 1000;

/** Sources checked and found under the limit, until when; bounded, and forgotten as they expire. */
class CleanSources {
  private readonly until = new Map<string, number>();

  constructor(private readonly maxEntries = 10_000) {}

  has(source: string, now: number): boolean {
    return (this.until.get(source) ?? 0) > now;
  }

  add(source: string, now: number): void {
    if (this.until.size >= this.maxEntries) {
      for (const [key, until] of this.until) if (until <= now) this.until.delete(key);
      if (this.until.size >= this.maxEntries) this.until.clear();
    }
    this.until.set(source, now + CLEAN_FOR_MS);
  }

  delete(source: string): void {
    this.until.delete(source);
  }
}

export function limitClientAuthFailures(deps: ClientAuthFailureDeps) {
  const paths = new Set(deps.paths);
  const clean = new CleanSources();
  return async function refuseAfterClientAuthFailures(ctx: Context, next: Next): Promise<void> {
    if (!paths.has(ctx.path)) return next();
    const source = sourceOf(ctx.req, deps.proxy);
    const now = Date.now();
    let verdict: RateLimitVerdict = { ok: true };
    if (!clean.has(source, now)) {
      verdict = await deps.rateLimits.check('clientAuthFailures', source);
      if (verdict.ok) clean.add(source, now);
    }
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
    if (failedClientAuthentication(ctx)) {
      clean.delete(source);
      await deps.rateLimits.consume('clientAuthFailures', source);
    }
  };
}
