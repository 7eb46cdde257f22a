/**
 * Security headers on every response of the host. The Content-Security-Policy allows no inline
 * script and no framing (clickjacking of the login and consent pages). No form-action: browsers apply
 * it to the redirects that follow a form post, and a login ends in a redirect to the relying party.
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

export async function securityHeaders(ctx: Context, next: Next): Promise<void> {
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
  ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  if (ctx.secure) ctx.set('Strict-Transport-Security', 'max-age=31536000');
  await next();
}
