/**
 * The Host header (or X-Forwarded-Host behind a trusted proxy), checked once for every request. The
 * provider builds absolute URLs from it on some routes (discovery, RP-initiated logout); a value that
 * is no host (`127.0.0.1:99999`, `a b`, `x/y`) would make `new URL` throw deep inside and answer 500.
 * RFC 9110 §7.2: a request without a valid Host is answered 400.
 */
import type { Context, Next } from 'koa';
import { GatehouseError } from '../errors';

export function isValidHost(host: string): boolean {
  if (!host) return false;
  try {
    const url = new URL(`http://${host}`);
    return !url.username && !url.password && url.pathname === '/' && !url.search && !url.hash;
  } catch {
    return false;
  }
}

export async function checkHost(ctx: Context, next: Next): Promise<void> {
  if (!isValidHost(ctx.host))
    throw new GatehouseError('invalid_request', 400, 'the Host header is not a valid host');
  await next();
}
