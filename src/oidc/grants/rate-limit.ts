/**
 * The per-source limit of the password and one-time-code grants (RATE_LIMIT_TOKEN), counted before
 * the grant looks at the credentials: a refused request costs no bcrypt compare and counts nothing
 * towards the sign-in lockout. The X-Service-Key routes forward to the token endpoint with the
 * caller's socket and X-Forwarded-For, so their requests count for the same source.
 */
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { RateLimits } from '../../security/rate-limits';
import { sourceOf } from '../../security/source';
import { protocolErrors } from '../unavailable';

export interface GrantLimits {
  rateLimits: RateLimits;
  /** PROXY: the source is the last X-Forwarded-For entry. */
  proxy: boolean;
}

/**
 * 429 in the OAuth error shape (RFC 6749 §5.2 has no code for it; `too_many_requests` is the one the
 * /api routes answer). The provider's error handler renders it with this status.
 */
export class TooManyRequests extends errors.OIDCProviderError {
  constructor(description: string) {
    super(429, 'too_many_requests');
    this.error_description = description;
  }
}

export async function refuseOverTokenLimit(ctx: KoaContextWithOIDC, limits: GrantLimits): Promise<void> {
  // rate-limiter-flexible rejects with the store's own error when the database is down.
  const verdict = await protocolErrors(limits.rateLimits.consume('token', sourceOf(ctx.req, limits.proxy)));
  if (verdict.ok) return;
  // Set before the throw: the provider's error handler keeps the headers already on ctx.
  ctx.set('Retry-After', String(verdict.retryAfterSeconds));
  throw new TooManyRequests(`too many token requests; retry after ${verdict.retryAfterSeconds} s`);
}
