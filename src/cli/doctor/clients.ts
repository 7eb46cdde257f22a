/**
 * Clients whose redirect URIs use plain http off the loopback address: the authorization code (and,
 * for the implicit flow, the tokens) would travel in clear (RFC 6749 §3.1.2.1, OAuth 2.0 Security BCP
 * §4.1). The client validator (clients/validate.ts) refuses them in production, but a client
 * registered before the switch to production keeps them. Serious in production, a warning elsewhere.
 */
import { isLoopbackHost } from '../../http/loopback';
import { count, finding, inProduction, ok, type CheckContext, type DatabaseCheck } from './finding';

const URI_FIELDS = ['redirect_uris', 'post_logout_redirect_uris'] as const;

/** The http, non-loopback URIs among `uris`; custom schemes (RFC 8252 §7.1) and https pass. */
function insecure(uris: unknown): string[] {
  if (!Array.isArray(uris)) return [];
  return uris.map(String).filter((uri) => {
    if (!URL.canParse(uri)) return false;
    const url = new URL(uri);
    return url.protocol === 'http:' && !isLoopbackHost(url.hostname);
  });
}

async function httpRedirects(ctx: CheckContext) {
  const rows = await ctx
    .db<{ client_id: string; metadata: Record<string, unknown> | string }>('clients')
    .select('client_id', 'metadata')
    .orderBy('client_id');
  const clients = rows
    .map((row) => {
      const metadata = typeof row.metadata === 'string' ? JSON.parse(row.metadata) : row.metadata;
      const uris = URI_FIELDS.flatMap((field) => insecure(metadata[field]));
      return { client_id: row.client_id, uris };
    })
    .filter((client) => client.uris.length > 0);
  if (!clients.length)
    return [
      ok('clients.http_redirect_uris', `no client of ${rows.length} has an http redirect URI off loopback`),
    ];
  const named = clients.map((c) => c.client_id);
  return [
    finding(
      inProduction(ctx.config),
      'clients.http_redirect_uris',
      `${count(clients.length, 'client')} ${clients.length === 1 ? 'redirects' : 'redirect'} over plain http: ${named.slice(0, 5).join(', ')}` +
        `${named.length > 5 ? ', …' : ''} (use https, or a loopback address for native apps)`,
      { clients },
    ),
  ];
}

export const clientChecks: DatabaseCheck[] = [{ name: 'clients.http_redirect_uris', run: httpRedirects }];
