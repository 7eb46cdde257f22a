/**
 * The source address of a request, the key of the per-source rate limits.
 *
 * Behind a proxy (PROXY=true) it is the LAST entry of X-Forwarded-For: the address the nearest proxy,
 * the one Gatehouse trusts, saw and appended. Every entry to its left arrived from the client and may
 * say anything, so a limit keyed by the leftmost entry (what Koa's `ctx.ip` returns) would let anyone
 * bypass it by sending a new X-Forwarded-For with each request. Without a proxy it is the socket's
 * peer address.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** `1.2.3.4:5678` and `[2001:db8::1]:443`: some proxies append the port. */
const WITH_PORT = /^(?:\[([0-9a-f:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):\d{1,5}$/i;

function lastForwardedFor(header: string | string[] | undefined): string | undefined {
  // Node joins repeated X-Forwarded-For headers with ", "; an array only comes from a synthetic request.
  const joined = Array.isArray(header) ? header.join(',') : header;
  const last = joined?.split(',').pop()?.trim();
  return last || undefined;
}

/**
 * An address as a short, storable key: IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack socket
 * reports) as plain IPv4, IPv6 lower-cased, and anything that is not an address (a proxy that passes
 * on a name or garbage) as its SHA-256, so a key never carries arbitrary client text.
 */
function normalise(address: string): string {
  const match = WITH_PORT.exec(address);
  let ip = match ? (match[1] ?? match[2]!) : address;
  ip = ip.toLowerCase();
  if (ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4) ip = ip.slice(7);
  if (isIP(ip)) return ip;
  return `sha256:${createHash('sha256').update(address, 'utf8').digest('hex')}`;
}

export function sourceOf(req: IncomingMessage, proxy: boolean): string {
  const forwarded = proxy ? lastForwardedFor(req.headers['x-forwarded-for']) : undefined;
  return normalise(forwarded ?? req.socket?.remoteAddress ?? 'unknown');
}
