/**
 * Token exchange (RFC 8693) as an oidc-provider extension grant: a Gatehouse access token of a
 * person (`subject_token`), optionally with the token of whoever acts for them (`actor_token`), for a
 * new access token with a narrower scope, or for another registered API. The library has
 * authenticated the client and checked that it lists this grant before this runs.
 *
 * The rules, where RFC 8693 leaves them to the server:
 * - Token types: access tokens only (`urn:ietf:params:oauth:token-type:access_token`) for the
 *   subject, the actor and the issued token; any other type is invalid_request (§2.2.2).
 * - The subject token is a person's access token the provider would accept now (presented-token.ts):
 *   opaque or a registered API's JWT; anything else (a refresh token, an ID token, a client's own
 *   token, a revoked, expired or key-bound token) is invalid_grant, as for every grant whose
 *   credential is bad (RFC 6749 §5.2; §2.2.2 of RFC 8693 would allow invalid_request). The same for
 *   the actor token, which may also be a client's own token. The subject token stays valid: an
 *   exchange spends nothing, so two exchanges of one token both succeed.
 * - Audience: `resource` (RFC 8707) and `audience` (§2.1) both name a registered API by its
 *   identifier, one API per token; an unknown one is invalid_target. Without either, the new token
 *   has the subject token's audience (none, or its API).
 * - Scope, for the subject token's own audience: within the subject token's scope (omitted: the
 *   same), never wider (invalid_scope), and through the client's registered `scope` and the rules of
 *   the admin and account scopes as the other grants apply them.
 *   For another API: only that API's scopes (omitted: all of them). Being registered for this grant
 *   is what allows a client to obtain tokens for the registered APIs on behalf of the people whose
 *   tokens it holds (as every client may ask for every registered API at the authorization endpoint,
 *   resource-indicators.ts); OpenID scopes never cross to an API's token.
 * - Delegation (§4.1): with an actor token the new token carries `act: { sub }`, the actor's account
 *   or, for a client's own token, its client_id; the subject token's own `act` (an earlier actor) is
 *   nested inside. Without an actor token the subject's `act` is kept. In a JWT it is a claim; an
 *   opaque token keeps it with its extra claims, which introspection returns (RFC 7662 §2.2).
 * - Lifetime: the access token lifetime (the API's for an API), but never beyond the subject's or
 *   the actor's token: an exchange does not extend what was delegated. No refresh token, no ID token.
 */
import { errors, type KoaContextWithOIDC, type Provider } from 'oidc-provider';
import type { Account, AccountStore } from '../../accounts/store';
import type { ResourceServer, ResourceServerStore } from '../../clients/resource-servers';
import { ACCOUNT_SCOPE, ADMIN_SCOPE, mayGrantAccountScope, mayGrantAdminScope } from '../../clients/scope';
import { resourceServerInfo } from '../features/resource-indicators';
import { tokenResponse } from '../internals';
import type { KeyMaterial } from '../keys';
import { protocolErrors } from '../unavailable';
import { TOKEN_EXCHANGE_GRANT } from './names';
import { requireParams } from './params';
import { createTokenReader, type PresentedToken } from './presented-token';

export const grantType = TOKEN_EXCHANGE_GRANT;

export const parameters = [
  'subject_token',
  'subject_token_type',
  'actor_token',
  'actor_token_type',
  'requested_token_type',
  'scope',
  'audience',
  'resource',
];

/** RFC 8693 §2.1 lets `resource` and `audience` repeat; more than one API is refused below. */
export const duplicates = ['audience', 'resource'];

/** RFC 8693 §3: the token type identifier of an OAuth 2.0 access token. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export interface TokenExchangeDeps {
  accounts: Pick<AccountStore, 'findById'>;
  resourceServers: Pick<ResourceServerStore, 'find'>;
  keys: Pick<KeyMaterial, 'jwks'>;
  /** ACCESS_TOKEN_TTL: the lifetime of a token for the provider's own endpoints. */
  accessTokenTtl: number;
}

function param(ctx: KoaContextWithOIDC, name: string): string | undefined {
  const value = ctx.oidc.params?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function values(ctx: KoaContextWithOIDC, name: string): string[] {
  const value = ctx.oidc.params?.[name];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is string => typeof v === 'string' && v !== '');
}

function requireAccessTokenType(type: string | undefined, name: string): void {
  if (type !== ACCESS_TOKEN_TYPE)
    throw new errors.InvalidRequest(`unsupported ${name}; only ${ACCESS_TOKEN_TYPE} is supported`);
}

/** invalid_grant with a description the client is shown (the library's default hides the detail). */
function badToken(which: 'subject_token' | 'actor_token'): errors.InvalidGrant {
  const err = new errors.InvalidGrant(`${which} refused`);
  err.error_description = `${which} is invalid, expired or revoked`;
  return err;
}

/** The one API the request names with `resource` and `audience`, or undefined for none. */
function requestedTarget(ctx: KoaContextWithOIDC): string | undefined {
  const named = new Set([...values(ctx, 'resource'), ...values(ctx, 'audience')]);
  if (named.size > 1) throw new errors.InvalidTarget('only one resource or audience is supported');
  return [...named][0];
}

async function registeredApi(deps: TokenExchangeDeps, identifier: string): Promise<ResourceServer> {
  const api = await protocolErrors(deps.resourceServers.find(identifier));
  if (!api) throw new errors.InvalidTarget('the resource or audience is not a registered API');
  return api;
}

function requestedScopes(ctx: KoaContextWithOIDC): string[] | undefined {
  const scope = param(ctx, 'scope');
  return scope === undefined ? undefined : [...new Set(scope.split(' ').filter(Boolean))];
}

function refuseOutside(requested: string[], allowed: Iterable<string>, description: string): void {
  const set = new Set(allowed);
  const outside = requested.filter((scope) => !set.has(scope));
  if (outside.length) throw new errors.InvalidScope(description, outside.join(' '));
}

/** The provider's own scopes (no audience): what the other grants would let this client have. */
function refuseProviderScopes(
  ctx: KoaContextWithOIDC,
  scopes: string[],
  account: Account,
  supported: ReadonlySet<string>,
): void {
  const client = ctx.oidc.client!;
  const listed = client.scope ? new Set(client.scope.split(' ')) : null;
  const firstParty = client.metadata().first_party === true;
  const refused = scopes.filter(
    (scope) =>
      !supported.has(scope) ||
      (listed !== null && !listed.has(scope)) ||
      (scope === ADMIN_SCOPE && !mayGrantAdminScope(account, { consent: false, firstParty })) ||
      (scope === ACCOUNT_SCOPE && !mayGrantAccountScope({ firstParty })),
  );
  if (refused.length)
    throw new errors.InvalidScope('requested scope is not allowed for this client', refused.join(' '));
}

/** RFC 8693 §4.1: the current actor outermost, earlier ones nested. */
function delegation(
  subject: PresentedToken,
  actor: PresentedToken | null,
): Record<string, unknown> | undefined {
  const earlier = subject.extra.act as Record<string, unknown> | undefined;
  if (!actor) return earlier;
  return { sub: actor.accountId ?? actor.clientId, ...(earlier && { act: earlier }) };
}

export function createHandler(provider: Provider, deps: TokenExchangeDeps, supported: ReadonlySet<string>) {
  const readToken = createTokenReader(provider, {
    accounts: deps.accounts,
    resourceServers: deps.resourceServers,
    jwks: deps.keys.jwks,
  });

  return async function tokenExchangeHandler(ctx: KoaContextWithOIDC): Promise<void> {
    const { subject_token: subjectValue, subject_token_type: subjectType } = requireParams(ctx, [
      'subject_token',
      'subject_token_type',
    ]);
    requireAccessTokenType(subjectType, 'subject_token_type');
    const actorValue = param(ctx, 'actor_token');
    const actorType = param(ctx, 'actor_token_type');
    // §2.1: actor_token_type is REQUIRED with actor_token and MUST NOT be sent without it.
    if (actorValue !== undefined || actorType !== undefined) {
      if (actorValue === undefined) throw new errors.InvalidRequest('actor_token_type without actor_token');
      requireAccessTokenType(actorType, 'actor_token_type');
    }
    const requestedType = param(ctx, 'requested_token_type');
    if (requestedType !== undefined) requireAccessTokenType(requestedType, 'requested_token_type');
    const target = requestedTarget(ctx);

    const subject = await readToken(subjectValue, { allowClientTokens: false });
    if (!subject?.accountId) throw badToken('subject_token');
    const actor = actorValue === undefined ? null : await readToken(actorValue, { allowClientTokens: true });
    if (actorValue !== undefined && !actor) throw badToken('actor_token');
    const account = await protocolErrors(deps.accounts.findById(subject.accountId));
    if (!account || account.disabled) throw badToken('subject_token');

    // The audience of the new token, and its scopes (the rules above).
    const audience = target ?? subject.audience;
    const api = audience === undefined ? null : await registeredApi(deps, audience);
    const requested = requestedScopes(ctx);
    let scopes: string[];
    if (audience === subject.audience) {
      scopes = requested ?? subject.scopes;
      refuseOutside(scopes, subject.scopes, "requested scope exceeds the subject token's scope");
      if (!api) refuseProviderScopes(ctx, scopes, account, supported);
    } else {
      scopes = requested ?? api!.scopes;
      refuseOutside(scopes, api!.scopes, 'requested scope is not a scope of the requested API');
    }
    const scope = scopes.join(' ');

    const client = ctx.oidc.client!;
    const now = Math.floor(Date.now() / 1000);
    const lifetimes = [api ? api.ttlSeconds : deps.accessTokenTtl, subject.exp - now];
    if (actor) lifetimes.push(actor.exp - now);
    const lifetime = Math.min(...lifetimes);
    // Both tokens were checked unexpired a moment ago; a second can have passed since.
    if (lifetime < 1) throw badToken(actor && actor.exp <= subject.exp ? 'actor_token' : 'subject_token');

    const grant = new provider.Grant({ accountId: account.id, clientId: client.clientId });
    if (scope && api) grant.addResourceScope(api.identifier, scope);
    else if (scope) grant.addOIDCScope(scope);
    const grantId = await grant.save();
    ctx.oidc.entity('Grant', grant);

    const act = delegation(subject, actor);
    const at = new provider.AccessToken({
      accountId: account.id,
      client,
      grantId,
      gty: grantType,
      scope,
      expiresIn: lifetime,
      ...(api && { resourceServer: new provider.ResourceServer(api.identifier, resourceServerInfo(api)) }),
      // How the person signed in stays with the token (sign-in-claims.ts), with the delegation.
      extra: {
        ...(subject.extra.amr !== undefined && { amr: subject.extra.amr }),
        ...(subject.extra.acr !== undefined && { acr: subject.extra.acr }),
        ...(act && { act }),
      },
    });
    ctx.oidc.entity('AccessToken', at);
    const accessToken = await at.save();

    ctx.body = {
      ...tokenResponse(provider, {
        accessToken,
        expiresIn: at.expiration,
        scope: scope || undefined,
        tokenType: at.tokenType,
      }),
      // RFC 8693 §2.2.1: REQUIRED in the response.
      issued_token_type: ACCESS_TOKEN_TYPE,
    };
  };
}
