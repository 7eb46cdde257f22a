/**
 * What every page router of this domain (the login interaction, the passkey ceremonies, the account
 * pages) puts in front of its handlers: no-store headers, the Fetch Metadata refusal of cross-site
 * posts, the form body limit, the per-source limit of sign-in posts, and the static assets
 * (stylesheet, scripts) served with a strong ETag.
 */
import { createHash } from 'node:crypto';
import type { Context, Middleware, Next } from 'koa';
import { GatehouseError } from '../errors';
import type { RateLimits } from '../security/rate-limits';
import { sourceOf } from '../security/source';

/** Form posts are a few short fields. */
export const FORM_LIMIT_BYTES = 16 * 1024;

/** Pages carry the person's state: never cached, never indexed. */
export async function pageHeaders(ctx: Context, next: Next): Promise<void> {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  ctx.set('X-Robots-Tag', 'noindex');
  await next();
}

/**
 * Refuses a request that the browser says came from another site (Fetch Metadata, W3C): anything
 * but same-origin or a navigation the person started (`none`). Browsers without it send no header.
 */
export function refuseCrossSite(message = 'the form was not submitted from this site'): Middleware {
  return async function refuseCrossSiteRequest(ctx: Context, next: Next): Promise<void> {
    const site = ctx.get('sec-fetch-site');
    if (site && site !== 'same-origin' && site !== 'none')
      throw new GatehouseError('access_denied', 403, message);
    await next();
  };
}

/**
 * Counts one sign-in post (a password, a code, a passkey assertion) of this request's source against
 * RATE_LIMIT_LOGIN. False, with Retry-After set, when the source is over it: the caller answers.
 */
export async function withinLoginLimit(
  ctx: Context,
  deps: { rateLimits: RateLimits; proxy: boolean },
): Promise<boolean> {
  const limit = await deps.rateLimits.consume('login', sourceOf(ctx.req, deps.proxy));
  if (!limit.ok) ctx.set('Retry-After', String(limit.retryAfterSeconds));
  return limit.ok;
}

/** A file served as it is, with a strong ETag of its bytes. */
export interface StaticAsset {
  body: Buffer;
  etag: string;
}

export function staticAsset(body: Buffer): StaticAsset {
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
}

/** Serves an asset for an hour, 304 when the browser's copy is current. */
export function serveStaticAsset(asset: StaticAsset, type: string): Middleware {
  return function serveAsset(ctx: Context): void {
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.set('ETag', asset.etag);
    ctx.type = type;
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.body = asset.body;
  };
}
