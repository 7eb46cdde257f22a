/**
 * Security headers on every response of the host. The Content-Security-Policy allows no inline
 * script and no framing (clickjacking of the login and consent pages). No form-action: browsers apply
 * it to the redirects that follow a form post, and a login ends in a redirect to the relying party.
 * HSTS goes out when the issuer is https, whether or not the hop to the node is.
 */
import type { Context, Next } from 'koa';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

export interface SecurityHeadersOptions {
  /**
   * Send Strict-Transport-Security (RFC 6797): the issuer is https. Decided by the issuer, not by the
   * request, which reaches the node over plain http behind a TLS terminator.
   */
  hsts: boolean;
}

const STRICT_TRANSPORT_SECURITY = 'max-age=31536000';

export function securityHeaders(options: SecurityHeadersOptions) {
  return async function setSecurityHeaders(ctx: Context, next: Next): Promise<void> {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    if (options.hsts) ctx.set('Strict-Transport-Security', STRICT_TRANSPORT_SECURITY);
    await next();
  };
}
