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
 * the API's bearer check refuses: refresh tokens, sender-constrained tokens, tokens with an audience,
 * and client credentials tokens of a client that is gone.
 */
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import type { ServiceKeyStore } from '../clients/service-keys';
import { badRequest } from '../errors';
import { introspectToken, type IntrospectionCaller, type IntrospectionResult } from '../oidc/internals';
import { findValidAccessToken, findValidClientCredentials } from './access-token';
import { bearerTokenOf } from './bearer';
import type { AccountReader, ClientReader } from './deps';
import { invalidClient, invalidToken, missingToken } from './errors';
import { validateTokenBody } from './schemas';
import { validateBody } from './validation';

type Introspection =
  | { active: true; sub?: string; client_id: string; scope?: string; exp: number; roles?: string[] }
  | { active: false };

const INACTIVE: Introspection = { active: false };

export interface TokenValidationDeps {
  provider: Provider;
  accounts: AccountReader;
  clients: ClientReader;
  serviceKeys: Pick<ServiceKeyStore, 'verify'>;
}

/** Bearer mode: the token is the caller's only credential. */
async function introspectBearer(
  deps: TokenValidationDeps,
  ctx: Context,
  value: string,
): Promise<Introspection> {
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
  // The library takes a secret by either method (lib/shared/client_auth.js).
  if (['client_secret_basic', 'client_secret_post'].includes(method) && client.client_secret)
    return { clientId: client.client_id, clientSecret: client.client_secret };
  return null;
}

/** The introspection answer as this API gives it (see the comment at the top). */
async function resourceServerAnswer(
  deps: TokenValidationDeps,
  result: Extract<IntrospectionResult, { authenticated: true }>,
): Promise<Introspection> {
  const { answer, token } = result;
  if (!answer?.active || !token || token.kind === 'RefreshToken') return INACTIVE;
  if (answer.cnf !== undefined || answer.aud !== undefined) return INACTIVE;
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
    ctx.body = await resourceServerAnswer(deps, result);
  };
}
