/**
 * POST /api/validate-token, in two modes:
 * - bearer: `Authorization: Bearer <token>` validates that token for its holder; an invalid token
 *   answers 401 `{ "active": false }` with the RFC 6750 challenge.
 * - resource server: a `token` parameter, the caller authenticated by client credentials (HTTP
 *   Basic, RFC 6749 §2.3.1) or `X-Service-Key`; an invalid token answers 200 `{ "active": false }`.
 * The provider decides both: the bearer mode by its userinfo's token checks (access-token.ts), the
 * resource-server mode by its own introspection endpoint run in-process (oidc/internals.ts
 * introspectToken): client authentication, secret comparison, token state and its allowedPolicy (a
 * public client learns only about its own tokens). The answer says no more than RFC 7662
 * introspection would to the same caller, cut to `active, sub, client_id, scope, exp`.
 *
 * The one exception, where the API needs more than introspection returns: the token's account, from
 * the store. A disabled or deleted account's token is inactive, and `roles` appears when the token
 * carries the `roles` scope (the account released them to that client). Inactive here as well is what
 * the API's bearer check refuses: refresh tokens, sender-constrained tokens, and client credentials
 * tokens of a client that is gone.
 *
 * Tokens for other APIs (RFC 8707 resource indicators) answer with their `aud` as well:
 * - a JWT access token (RFC 9068) is verified offline against the provider's keys (jwt-access-token.ts),
 *   in either mode; its account and client must still exist (and the account be enabled);
 * - an opaque one is introspected, so only in the resource-server mode (RFC 7662 §2.1: the caller
 *   authenticates); in the bearer mode it is refused, as /api's own routes refuse it.
 */
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import type { ServiceKeyStore } from '../clients/service-keys';
import { badRequest } from '../errors';
import { introspectToken, type IntrospectionCaller, type IntrospectionResult } from '../oidc/internals';
import { findValidAccessToken, findValidClientCredentials } from './access-token';
import { looksLikeJwt, verifyJwtAccessToken } from './jwt-access-token';
import { bearerTokenOf } from './bearer';
import type { AccountReader, ClientReader } from './deps';
import { invalidClient, invalidToken, missingToken } from './errors';
import { validateTokenBody } from './schemas';
import { validateBody } from './validation';

type Introspection =
  | {
      active: true;
      sub?: string;
      client_id: string;
      scope?: string;
      exp: number;
      roles?: string[];
      aud?: string | string[];
    }
  | { active: false };

const INACTIVE: Introspection = { active: false };

export interface TokenValidationDeps {
  provider: Provider;
  accounts: AccountReader;
  clients: ClientReader;
  serviceKeys: Pick<ServiceKeyStore, 'verify'>;
}

/**
 * A JWT access token for an API: its signature and claims (jwt-access-token.ts), then what the store
 * says now. `sub` is the account, or the client itself for client credentials (RFC 9068 §2.2).
 */
async function introspectJwt(deps: TokenValidationDeps, value: string): Promise<Introspection> {
  const claims = await verifyJwtAccessToken(deps.provider, value);
  if (!claims) return INACTIVE;
  if (!(await deps.provider.Client.find(claims.client_id))) return INACTIVE;
  const account = await deps.accounts.findById(claims.sub);
  if (account?.disabled) return INACTIVE;
  const ownToken = claims.sub === claims.client_id;
  if (!account && !ownToken) return INACTIVE;
  return {
    active: true,
    ...(account && { sub: claims.sub }),
    client_id: claims.client_id,
    scope: claims.scope || undefined,
    exp: claims.exp,
    aud: claims.aud,
  };
}

/** Bearer mode: the token is the caller's only credential. */
async function introspectBearer(
  deps: TokenValidationDeps,
  ctx: Context,
  value: string,
): Promise<Introspection> {
  if (looksLikeJwt(value)) return introspectJwt(deps, value);
  const found = await findValidAccessToken(deps.provider, value, ctx.req.socket);
  if (found)
    return {
      active: true,
      sub: found.account.id,
      client_id: found.client.clientId,
      scope: found.token.scope || undefined,
      exp: found.token.exp!,
      roles: found.scopes.has('roles') ? found.account.roles : undefined,
    };
  const cc = await findValidClientCredentials(deps.provider, value);
  return cc
    ? { active: true, client_id: cc.clientId!, scope: cc.scope || undefined, exp: cc.exp! }
    : INACTIVE;
}

/**
 * A service key stands for its client's own credentials at the introspection endpoint, as the
 * integrator routes present them at the token endpoint; null for a key that is no valid credential.
 */
async function serviceKeyCaller(deps: TokenValidationDeps, key: string): Promise<IntrospectionCaller | null> {
  const clientId = await deps.serviceKeys.verify(key);
  const client = clientId ? await deps.clients.findMetadata(clientId) : null;
  if (!client) return null;
  const method = client.token_endpoint_auth_method ?? 'client_secret_basic';
  if (method === 'none') return { clientId: client.client_id };
  if (!client.client_secret) return null;
  // Each by the mechanism it registered: the provider holds a client to it (internals.ts
  // enforceRegisteredSecretMethod). RFC 6749 §2.3.1: Basic form-encodes id and secret first.
  if (method === 'client_secret_post')
    return { clientId: client.client_id, clientSecret: client.client_secret };
  if (method !== 'client_secret_basic') return null;
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  const pair = `${encode(client.client_id)}:${encode(client.client_secret)}`;
  return { authorization: `Basic ${Buffer.from(pair).toString('base64')}` };
}

/** The introspection answer as this API gives it (see the comment at the top). */
async function resourceServerAnswer(
  deps: TokenValidationDeps,
  result: Extract<IntrospectionResult, { authenticated: true }>,
): Promise<Introspection> {
  const { answer, token } = result;
  if (!answer?.active || !token || token.kind === 'RefreshToken') return INACTIVE;
  if (answer.cnf !== undefined) return INACTIVE;
  let roles: string[] | undefined;
  if (token.kind === 'AccessToken') {
    if (!token.accountId || !token.grantId) return INACTIVE;
    const account = await deps.accounts.findById(token.accountId);
    if (!account || account.disabled) return INACTIVE;
    if (token.scope?.split(' ').includes('roles')) roles = account.roles;
  } else if (!(await deps.provider.Client.find(token.clientId!))) return INACTIVE;
  return {
    active: true,
    sub: answer.sub as string | undefined,
    client_id: answer.client_id as string,
    scope: answer.scope as string | undefined,
    exp: answer.exp as number,
    roles,
    aud: answer.aud as string | string[] | undefined,
  };
}

export function validateToken(deps: TokenValidationDeps) {
  return async function validateToken(ctx: Context): Promise<void> {
    ctx.set('Cache-Control', 'no-store');
    const body = validateBody(ctx, validateTokenBody);
    const serviceKey = ctx.get('x-service-key');
    const resourceServer =
      body.token !== undefined || serviceKey !== '' || /^Basic /i.test(ctx.get('authorization'));

    if (!resourceServer) {
      const bearer = bearerTokenOf(ctx);
      if (bearer === null) throw missingToken();
      const result = bearer ? await introspectBearer(deps, ctx, bearer) : INACTIVE;
      if (!result.active) {
        ctx.status = 401;
        ctx.set('WWW-Authenticate', invalidToken().headers['WWW-Authenticate']!);
      }
      ctx.body = result;
      return;
    }

    const caller = serviceKey
      ? await serviceKeyCaller(deps, serviceKey)
      : { authorization: ctx.get('authorization') };
    if (!caller) throw invalidClient(null);
    const result = await introspectToken(deps.provider, caller, body.token, ctx.req.socket);
    if (!result.authenticated) throw invalidClient(serviceKey ? null : 'Basic');
    if (body.token === undefined) throw badRequest('the request is invalid', { token: 'is required' });
    ctx.body = looksLikeJwt(body.token)
      ? await introspectJwt(deps, body.token)
      : await resourceServerAnswer(deps, result);
  };
}
