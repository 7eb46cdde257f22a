/**
 * POST /api/validate-token, in two modes:
 * - bearer: `Authorization: Bearer <token>` validates that token for its holder; an invalid token
 *   answers 401 `{ "active": false }` with the RFC 6750 challenge.
 * - resource server: a `token` parameter, the caller authenticated by client credentials (HTTP
 *   Basic, RFC 6749 §2.3.1) or `X-Service-Key`; an invalid token answers 200 `{ "active": false }`.
 * Either way the answer says no more than RFC 7662 introspection would to the same caller: nothing
 * about why a token is inactive, and a public client learns only about its own tokens (the
 * provider's introspection allowedPolicy). `roles` appears only when the token carries the `roles`
 * scope, i.e. when the account released them to that client.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { badRequest } from '../errors';
import type { StoredClient } from '../clients/store';
import { findValidAccessToken, findValidClientCredentials } from './access-token';
import { bearerTokenOf } from './bearer';
import type { ApiDeps } from './deps';
import { invalidClient, invalidToken, missingToken } from './errors';
import { validateTokenBody } from './schemas';
import { validateBody } from './validation';

type Introspection =
  | { active: true; sub?: string; client_id: string; scope?: string; exp: number; roles?: string[] }
  | { active: false };

const INACTIVE: Introspection = { active: false };

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Compares secrets in constant time (digests first, so lengths never differ). */
export function secretsEqual(presented: string, stored: string): boolean {
  return timingSafeEqual(digest(presented), digest(stored));
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded. */
function basicCredentials(header: string): { clientId: string; secret: string } | null {
  const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    const clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
    const secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    return clientId && secret ? { clientId, secret } : null;
  } catch {
    return null;
  }
}

/** The client calling as a resource server, or a 401 invalid_client. */
async function authenticateCaller({ services }: ApiDeps, ctx: Context): Promise<StoredClient> {
  const serviceKey = ctx.get('x-service-key');
  if (serviceKey) {
    const clientId = await services.serviceKeys.verify(serviceKey);
    const client = clientId ? await services.clients.findMetadata(clientId) : null;
    if (!client) throw invalidClient(null);
    return client;
  }
  const credentials = basicCredentials(ctx.get('authorization'));
  if (!credentials) throw invalidClient();
  const client = await services.clients.findMetadata(credentials.clientId);
  // An unknown client costs the same comparison as a known one.
  const stored = client?.client_secret ?? `unknown-client-${credentials.clientId}`;
  const ok = secretsEqual(credentials.secret, stored);
  if (!client?.client_secret || !ok || client.token_endpoint_auth_method === 'none') throw invalidClient();
  return client;
}

async function introspect(
  deps: ApiDeps,
  value: string,
  mayInspect: (clientId: string) => boolean,
): Promise<Introspection> {
  const found = await findValidAccessToken(deps.provider, deps.services.accounts, value);
  if (found) {
    if (!mayInspect(found.client.clientId)) return INACTIVE;
    return {
      active: true,
      sub: found.account.id,
      client_id: found.client.clientId,
      scope: found.token.scope || undefined,
      exp: found.token.exp!,
      roles: found.scopes.has('roles') ? found.account.roles : undefined,
    };
  }
  const cc = await findValidClientCredentials(deps.provider, value);
  // findValidClientCredentials returns only tokens whose client exists.
  if (cc && mayInspect(cc.clientId!))
    return { active: true, client_id: cc.clientId!, scope: cc.scope || undefined, exp: cc.exp! };
  return INACTIVE;
}

export function validateToken(deps: ApiDeps) {
  return async function validateToken(ctx: Context): Promise<void> {
    ctx.set('Cache-Control', 'no-store');
    const body = validateBody(ctx, validateTokenBody);
    const resourceServer =
      body.token !== undefined ||
      ctx.get('x-service-key') !== '' ||
      /^Basic /i.test(ctx.get('authorization'));

    if (!resourceServer) {
      const bearer = bearerTokenOf(ctx);
      if (bearer === null) throw missingToken();
      const result = bearer ? await introspect(deps, bearer, () => true) : INACTIVE;
      if (!result.active) {
        ctx.status = 401;
        ctx.set('WWW-Authenticate', invalidToken().headers['WWW-Authenticate']!);
      }
      ctx.body = result;
      return;
    }

    const caller = await authenticateCaller(deps, ctx);
    if (body.token === undefined) throw badRequest('the request is invalid', { token: 'is required' });
    const confidential = caller.token_endpoint_auth_method !== 'none';
    ctx.body = await introspect(
      deps,
      body.token,
      (clientId) => confidential || clientId === caller.client_id,
    );
  };
}
