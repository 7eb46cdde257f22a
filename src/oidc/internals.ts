/**
 * The one module that reaches into oidc-provider's internals, what its docs/README.md does not describe
 * (lib/ modules, per-instance state, payload layouts, its exact answers), so that a library upgrade
 * breaks here and nowhere else. Each function names the library file it mirrors (checked on 9.13.x).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ServerResponse, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { Context, Next } from 'koa';
import {
  errors,
  type AccessToken,
  type Account,
  type Client,
  type ClientCredentials,
  type ClientMetadata,
  type Grant,
  type IdToken,
  type Interaction,
  type KoaContextWithOIDC,
  type Provider,
  type RefreshToken,
} from 'oidc-provider';
import { shareFinds } from './shared-finds';

export type GrantHandler = (ctx: KoaContextWithOIDC) => Promise<void>;
type Handler = (ctx: KoaContextWithOIDC, next: () => Promise<void>) => unknown;
type AnyToken = AccessToken | ClientCredentials | RefreshToken;
type IntrospectionPolicy = (ctx: KoaContextWithOIDC, client: Client, token: AnyToken) => Promise<boolean>;

// The same module instances the library imports (one ESM cache), so they read the same private state.
const lib = {
  weakCache: require('oidc-provider/lib/helpers/weak_cache.js') as {
    default(provider: Provider): { grantTypeHandlers: Map<string, GrantHandler> } | undefined;
  },
  accessToken: require('oidc-provider/lib/shared/access_token.js') as {
    getValidateAccessToken(options: {
      afterFind: (ctx: KoaContextWithOIDC, token: AccessToken) => void;
    }): Handler;
  } & Record<'loadAccessTokenClient' | 'loadAccessTokenAccount' | 'loadAccessTokenGrant', Handler>,
  introspection: require('oidc-provider/lib/actions/introspection.js') as { default: Handler[] },
  grantResponse: require('oidc-provider/lib/helpers/grant_response.js') as {
    buildTokenResponse(provider: Provider, parts: object): Record<string, unknown>;
  },
};

/**
 * Replaces the handler of a grant type the library registered itself with `wrap(original)`
 * (lib/provider.js registerGrantType): the public registerGrantType cannot hand back the library's own.
 */
export function wrapGrantHandler(
  provider: Provider,
  grantType: string,
  wrap: (original: GrantHandler) => GrantHandler,
): void {
  const handlers = lib.weakCache.default(provider)?.grantTypeHandlers;
  const original = handlers?.get(grantType);
  if (!handlers || !original) throw new Error(`oidc-provider has no '${grantType}' grant handler to wrap`);
  handlers.set(grantType, wrap(original));
}

/**
 * The provider's own client schema (lib/models/client.js Client.validate, lib/helpers/client_schema.js).
 * Throws its InvalidClientMetadata or InvalidRedirectUri (RFC 7591 §3.2.2) with an error_description.
 */
export async function validateClientSchema(provider: Provider, metadata: object): Promise<void> {
  await provider.Client.validate(metadata as ClientMetadata);
}

/**
 * Client authentication by secret (client_secret_basic, client_secret_post: lib/shared/client_auth.js
 * awaits `client.compareClientSecret(presented)`, lib/models/client.js compares with the metadata's
 * client_secret in constant time): when that comparison fails, `fallback` is asked too, for a secret
 * known only as a foreign hash. Patched on this provider's own Client class (one per instance).
 */
export function compareClientSecretsWith(
  provider: Provider,
  fallback: (clientId: string, presented: string) => Promise<boolean>,
): void {
  type Compare = (this: Client, presented: string) => boolean | Promise<boolean>;
  const prototype = provider.Client.prototype as unknown as { compareClientSecret: Compare };
  const own = prototype.compareClientSecret;
  prototype.compareClientSecret = async function compareClientSecret(this: Client, presented: string) {
    if (await own.call(this, presented)) return true;
    return fallback(this.clientId, presented);
  };
}

/** The context of a request runHandlers serves in-process, where Provider.ctx has none. */
const handlerContext = new AsyncLocalStorage<KoaContextWithOIDC>();

/** The request being served: the library's own (lib/helpers/als.js, Provider.ctx), or runHandlers'. */
function currentContext(provider: Provider): KoaContextWithOIDC | undefined {
  return handlerContext.getStore() ?? (provider.constructor as typeof Provider).ctx;
}

/**
 * RFC 7591 §2 token_endpoint_auth_method as a rule, not a hint: lib/shared/client_auth.js accepts a
 * secret from the Authorization header and from the body alike for a client registered for either
 * client_secret_basic or client_secret_post (it lists both methods for either mechanism). This runs
 * where it then compares the secret (Client#compareClientSecret, called only for those two methods),
 * before any comparison, and refuses the mechanism the client did not register with the library's
 * own error for a mismatch. Which mechanism was used is decided as client_auth.js decides it: a
 * `client_secret` parameter is the body's, otherwise the secret came in the Basic header.
 */
export function enforceRegisteredSecretMethod(provider: Provider): void {
  type Compare = (this: Client, presented: string) => boolean | Promise<boolean>;
  const prototype = provider.Client.prototype as unknown as { compareClientSecret: Compare };
  const compare = prototype.compareClientSecret;
  prototype.compareClientSecret = async function compareClientSecret(this: Client, presented: string) {
    const ctx = currentContext(provider);
    if (ctx?.oidc) {
      const used = ctx.oidc.params?.client_secret ? 'client_secret_post' : 'client_secret_basic';
      if (used !== this.clientAuthMethod)
        throw new errors.InvalidClientAuth(
          'the provided authentication mechanism does not match the registered client authentication method',
        );
    }
    return compare.call(this, presented);
  };
}

/**
 * Saves a token under the id it was built with, a value issued elsewhere (an import): an opaque
 * token's value is its id (lib/models/formats/opaque.js getValueAndPayload returns `jti`). An access
 * or client-credentials token picks its format when it generates its id (lib/models/formats/index.js
 * generateTokenId: opaque unless a resource server asks for JWT); given an id it generates none, so
 * the format is set here as that would have. Returns the value, which is the id it was given.
 */
export async function saveTokenWithValue(token: AnyToken): Promise<string> {
  const value = token.jti;
  if (!value) throw new Error('a token saved with its value needs that value as its jti');
  if (token.kind !== 'RefreshToken') (token as { format?: string }).format = 'opaque';
  const saved = await token.save();
  if (saved !== value) throw new Error(`oidc-provider saved the ${token.kind} under another value`);
  return saved;
}

/**
 * A client as the provider would load it from this metadata, without storing it (lib/models/client.js:
 * the constructor validates, as Client.find does for a stored one). Throws what validateClientSchema does.
 */
export async function clientFromMetadata(provider: Provider, metadata: object): Promise<Client> {
  await validateClientSchema(provider, metadata);
  const ClientClass = provider.Client as unknown as new (metadata: object) => Client;
  return new ClientClass(metadata);
}

const FORM = 'application/x-www-form-urlencoded';

/**
 * A request as the library's handlers read it: a form makes it a POST; the socket is the caller's.
 * `method` and `url` stand for a request the handlers check on behalf of another route (a DPoP proof
 * for an /api URL: lib/helpers/validate_dpop.js compares htm with ctx.method, htu with urlFor(route)).
 */
type HandlerRequest = {
  headers: IncomingHttpHeaders;
  form?: URLSearchParams;
  socket?: Socket | undefined;
  method?: string;
  url?: string;
};

/**
 * Runs the library's route handlers in-process as its router would (lib/helpers/initialize_app.js
 * ensureOIDC: an OIDCContext whose `route` is the route's name), on a context of their own: what they
 * write to the response stays there, and no provider.use middleware runs. Failures (5xx) are thrown.
 */
async function runHandlers(
  provider: Provider,
  route: string,
  handlers: Handler[],
  request: HandlerRequest,
): Promise<{ ctx: KoaContextWithOIDC; refusal?: errors.OIDCProviderError }> {
  const body = Buffer.from(request.form?.toString() ?? '', 'utf8');
  const headers: IncomingHttpHeaders = { ...request.headers };
  if (request.form) Object.assign(headers, { 'content-type': FORM, 'content-length': String(body.length) });
  const req = Object.assign(Readable.from(request.form ? [body] : [], { objectMode: false }), {
    method: request.method ?? (request.form ? 'POST' : 'GET'),
    url: provider.pathFor(route),
    headers,
    socket: request.socket,
  }) as unknown as IncomingMessage;
  const koa: Context & { _matchedRouteName?: string } = provider.createContext(req, new ServerResponse(req));
  koa._matchedRouteName = route;
  Object.defineProperty(koa, 'oidc', { value: new provider.OIDCContext(koa) });
  const ctx = koa as unknown as KoaContextWithOIDC;
  if (request.url) {
    const { url } = request;
    const urlFor = ctx.oidc.urlFor.bind(ctx.oidc);
    Object.defineProperty(ctx.oidc, 'urlFor', {
      value: (name: string, options?: Parameters<typeof urlFor>[1]) =>
        name === route ? url : urlFor(name, options),
    });
  }
  const dispatch = async (i: number): Promise<void> => {
    if (i < handlers.length) await handlers[i]!(ctx, () => dispatch(i + 1));
  };
  try {
    // The context the library's own router would publish (Provider.ctx), for what reads it.
    await handlerContext.run(ctx, () => dispatch(0));
    return { ctx };
  } catch (err) {
    // A refusal meant for the client (an exposed 4xx, statusCode as the library sets it) is returned.
    const refusal = err as errors.OIDCProviderError | undefined;
    if (refusal?.expose === true && refusal.statusCode < 500) return { ctx, refusal };
    throw err;
  }
}

/** A token the library accepted, with what it loaded: `account` is what findAccount returned. */
export type VerifiedAccessToken = { token: AccessToken; client: Client; grant: Grant; account: Account };

/**
 * Gatehouse's rules once the token is found: a certificate-bound token is refused (RFC 8705 §3: no
 * client certificate reaches the API); a DPoP-bound one (cnf.jkt) is left to the library, which
 * refuses it without a proof of its key (RFC 9449 §7.1); one with an audience is another resource
 * server's (RFC 8707, as lib/actions/userinfo.js validateAudience); an access token names account and grant.
 * The grant is asked for at once, beside the client and account look-ups the library makes first; its
 * own look-up of the grant then shares that query (shared-finds.ts).
 */
function checkFoundToken(ctx: KoaContextWithOIDC, token: AccessToken): void {
  if (token['x5t#S256'] || token.aud !== undefined || !token.accountId || !token.grantId)
    throw new errors.InvalidToken('the access token cannot be used at this API');
  void ctx.oidc.provider.Grant.adapter.find(token.grantId).catch(() => undefined);
}

const bearerChecks: Handler[] = [
  lib.accessToken.getValidateAccessToken({ afterFind: checkFoundToken }),
  lib.accessToken.loadAccessTokenClient,
  lib.accessToken.loadAccessTokenAccount,
  lib.accessToken.loadAccessTokenGrant,
];

/**
 * An opaque access token checked as the userinfo endpoint checks one (lib/shared/access_token.js, in
 * the order of lib/actions/userinfo.js): found, unexpired, unrevoked, its binding verified, its client
 * and its account (findAccount) found, its grant found, unexpired and matching both. Null if refused.
 */
export async function verifyAccessToken(
  provider: Provider,
  value: string,
  socket?: Socket,
): Promise<VerifiedAccessToken | null> {
  const headers = { authorization: `Bearer ${value}` };
  const request = { headers, socket };
  const { ctx, refusal } = await shareFinds(() => runHandlers(provider, 'userinfo', bearerChecks, request));
  if (refusal) return null;
  const { AccessToken: token, Client: client, Grant: grant, Account: account } = ctx.oidc.entities;
  return { token: token!, client: client!, grant: grant!, account: account! };
}

/** A DPoP proof (RFC 9449 §4) presented to the API with `Authorization: DPoP <token>`. */
export interface DpopPresentation {
  proof: string;
  /** The request's method and URL (without query), what the proof's htm and htu must be (§4.3). */
  method: string;
  url: string;
}

export type ProofCheckedToken =
  | { verified: VerifiedAccessToken; nonce: string | undefined }
  | {
      verified: null;
      /** The library's refusal: invalid_token, invalid_dpop_proof, use_dpop_nonce, invalid_request. */
      error: string;
      /** The token found is bound to a key (cnf.jkt): the challenge is DPoP (RFC 9449 §7.1). */
      boundToKey: boolean;
      nonce: string | undefined;
    };

/**
 * An access token checked as verifyAccessToken checks one, with the DPoP proof that came with it
 * verified by the library (lib/shared/access_token.js, lib/helpers/validate_dpop.js): signature and
 * typ, alg among dPoPSigningAlgValues, iat window or nonce, htm, htu (here the API's URL), ath (the
 * hash of the token), the key's thumbprint against cnf.jkt, and the jti once (ReplayDetection, with
 * the token's client as issuer). Without `dpop` the token is presented as Bearer and a bound one is
 * refused. `nonce` is the DPoP-Nonce the library would answer with (§8, §9).
 */
export async function verifyAccessTokenWithProof(
  provider: Provider,
  value: string,
  dpop: DpopPresentation | null,
  socket?: Socket,
): Promise<ProofCheckedToken> {
  const headers: IncomingHttpHeaders = dpop
    ? { authorization: `DPoP ${value}`, dpop: dpop.proof }
    : { authorization: `Bearer ${value}` };
  const request = { headers, socket, ...(dpop && { method: dpop.method, url: dpop.url }) };
  const { ctx, refusal } = await shareFinds(() => runHandlers(provider, 'userinfo', bearerChecks, request));
  const nonce = ctx.response.get('dpop-nonce') || undefined;
  const { AccessToken: token, Client: client, Grant: grant, Account: account } = ctx.oidc.entities;
  if (refusal) return { verified: null, error: refusal.error, boundToKey: Boolean(token?.jkt), nonce };
  return { verified: { token: token!, client: client!, grant: grant!, account: account! }, nonce };
}

/**
 * How a resource server authenticates (RFC 7662 §2.1): its own Authorization header as it came
 * (client_secret_basic), or credentials in the body (client_secret_post; a public client's id alone).
 */
export interface IntrospectionCaller {
  authorization?: string;
  clientId?: string;
  clientSecret?: string;
}

export interface IntrospectionAnswer {
  active: boolean;
  [member: string]: unknown;
}

/** The answer as the library built it (RFC 7662 §2.2), null when it refused an authenticated caller. */
export type IntrospectionResult =
  | { authenticated: false }
  | { authenticated: true; client: Client; answer: IntrospectionAnswer | null; token?: AnyToken | undefined };

/**
 * The introspection endpoint (lib/actions/introspection.js) run in-process: its client authentication
 * (lib/shared/client_auth.js: Basic parsing, constant-time secret comparison), token look-up
 * (lib/helpers/token_find.js), token-state rules and allowedPolicy. Not counted as /token/introspection.
 */
export async function introspectToken(
  provider: Provider,
  caller: IntrospectionCaller,
  value: string | undefined,
  socket?: Socket,
): Promise<IntrospectionResult> {
  const params = { token: value, client_id: caller.clientId, client_secret: caller.clientSecret };
  const form = new URLSearchParams(
    Object.entries(params).filter((p): p is [string, string] => p[1] !== undefined),
  );
  const headers: IncomingHttpHeaders = caller.authorization ? { authorization: caller.authorization } : {};
  const run = await runHandlers(provider, 'introspection', lib.introspection.default, {
    headers,
    form,
    socket,
  });
  const { entities } = run.ctx.oidc;
  const client = entities.Client;
  // client_auth.js loads the client before it checks the credentials, and refuses every credential
  // after that with invalid_client: a loaded client and another refusal mean an authenticated caller.
  if (!client || run.refusal?.error === 'invalid_client') return { authenticated: false };
  if (run.refusal) return { authenticated: true, client, answer: null };
  const token = entities.AccessToken ?? entities.ClientCredentials ?? entities.RefreshToken;
  return { authenticated: true, client, answer: run.ctx.body as IntrospectionAnswer, token };
}

/**
 * `features.introspection.allowedPolicy`, made to answer inactive for an account's token whose client
 * is gone: right after the policy the library looks that client up (for a pairwise `sub`) and fails
 * on a missing one (lib/actions/introspection.js renderTokenResponse).
 */
export function introspectionPolicy(policy: IntrospectionPolicy): IntrospectionPolicy {
  return async function allowedPolicy(ctx, client, token) {
    if (!(await policy(ctx, client, token))) return false;
    if (!('accountId' in token) || !token.accountId || token.clientId === client.clientId) return true;
    return (await ctx.oidc.provider.Client.find(token.clientId!)) !== undefined;
  };
}

/**
 * The claims userinfo releases (lib/actions/userinfo.js respond, the Claims mask of
 * lib/helpers/claims.js): the grant's OIDC scopes within the token's, minus the grant's rejected claims.
 */
export async function userinfoClaims(
  provider: Provider,
  source: { claims: Record<string, unknown>; client: Client; grant: Grant; scope: string | undefined },
): Promise<Record<string, unknown>> {
  const mask = new provider.Claims(source.claims, { client: source.client });
  mask.scope(source.grant.getOIDCScopeFiltered(new Set((source.scope ?? '').split(' '))));
  mask.rejected(source.grant.getRejectedOIDCClaims());
  return (await mask.result()) as Record<string, unknown>;
}

/**
 * The `xsrf` value of the RP-initiated logout confirmation form: the secret the library keeps in the
 * session's state and checks on confirmation (lib/actions/end_session.js, lib/shared/xsrf.js).
 */
export function logoutFormSecret(ctx: KoaContextWithOIDC): string {
  const state = ctx.oidc.session?.state as { secret?: unknown } | undefined;
  return typeof state?.secret === 'string' ? state.secret : '';
}

/**
 * The `xsrf` value of the device flow's user-code forms (RFC 8628 §3.3): the same session secret,
 * set by lib/actions/code_verification.js (and lib/shared/error_handler.js) before the page renders.
 */
export function userCodeFormSecret(ctx: KoaContextWithOIDC): string {
  return logoutFormSecret(ctx);
}

/** Why the user-code page is shown again (lib/helpers/re_render_errors.js, by class name). */
export type UserCodeRefusal = 'missing' | 'notFound' | 'expired' | 'used' | 'aborted' | 'other';

const USER_CODE_REFUSALS: Record<string, UserCodeRefusal> = {
  NoCodeError: 'missing',
  NotFoundError: 'notFound',
  ExpiredError: 'expired',
  AlreadyUsedError: 'used',
  AbortedError: 'aborted',
};

/** The refusal behind a user-code page rendered for an error (userCodeInputSource's `err`). */
export function userCodeRefusal(err: unknown): UserCodeRefusal | null {
  if (err === undefined || err === null) return null;
  const name = (err as { name?: unknown }).name;
  return (typeof name === 'string' && USER_CODE_REFUSALS[name]) || 'other';
}

/**
 * RFC 6749 §5.2 unauthorized_client for a known client that does not list one of `grantTypes`: the
 * library answers invalid_request before any grant handler runs (lib/actions/token.js
 * allowedGrantTypeCheck, written out by lib/shared/error_handler.js); a provider middleware corrects it.
 */
export function answerUnauthorizedClient(grantTypes: ReadonlySet<string>) {
  return async function answerUnauthorizedClient(ctx: Context, next: Next): Promise<void> {
    await next();
    const body = ctx.body as { error?: unknown } | null | undefined;
    if (ctx.status !== 400 || ctx.method !== 'POST' || body?.error !== 'invalid_request') return;
    const { oidc } = ctx as Context & { oidc?: KoaContextWithOIDC['oidc'] };
    if (oidc?.route !== 'token') return;
    const grantType = oidc.params?.grant_type;
    if (typeof grantType !== 'string' || !grantTypes.has(grantType) || !oidc.client) return;
    if (oidc.client.grantTypeAllowed(grantType)) return;
    const description = 'the client is not allowed to use this grant type';
    ctx.body = { error: 'unauthorized_client', error_description: description };
  };
}

/**
 * An ID token as the library issues one (lib/helpers/grant_common.js issueIdToken): it carries the
 * claims of its `scope`, a member the typings leave out; acr, amr and auth_time are set as nonce and sid are.
 */
export async function issueIdToken(
  provider: Provider,
  ctx: KoaContextWithOIDC,
  claims: Record<string, unknown>,
  options: { scope: string; amr: string[]; acr: string; authTime: number },
): Promise<string> {
  const token = new provider.IdToken(claims, { ctx }) as IdToken & { scope: string };
  token.scope = options.scope;
  token.set('acr', options.acr);
  token.set('amr', options.amr);
  token.set('auth_time', options.authTime);
  return token.issue({ use: 'idtoken' });
}

type ResponseParts = { accessToken: string; expiresIn: number; tokenType: string } & TokenResponseExtras;
type TokenResponseExtras = Partial<Record<'idToken' | 'refreshToken' | 'scope', string | undefined>>;

/** The token response (RFC 6749 §5.1) as the library's grants build it (lib/helpers/grant_response.js). */
export function tokenResponse(provider: Provider, parts: ResponseParts): Record<string, unknown> {
  return lib.grantResponse.buildTokenResponse(provider, parts);
}

/**
 * Keeps state of an interaction in progress on the interaction itself (its `result`, which the
 * library reads only when the browser returns to the authorization endpoint, lib/actions/authorization/
 * resume.js, and replaces when interactionResult finishes it), saved for the interaction's remaining
 * lifetime (lib/models/interaction.js save). A second factor is asked inside the one login interaction
 * this way, and the login finishes once (the maintainer's advice for multi-step logins).
 */
export async function holdInteractionState(
  interaction: Interaction,
  state: Record<string, unknown>,
): Promise<void> {
  interaction.result = state as Interaction['result'];
  await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
}

/** The person signed in to the provider in this browser, as the account pages read it. */
export interface SignedInSession {
  accountId: string;
  amr: string[];
  acr: string | undefined;
  /** Stable for the session's life (a new login keeps it; lib/models/session.js resetIdentifier). */
  uid: string;
}

/**
 * The provider session of the browser making a request outside the provider's routes (the account
 * pages): lib/models/session.js Session.get reads the signed session cookie with the provider's own
 * cookie jar and keys, and for a visitor without one instantiates an empty session without saving it
 * (only the library's session middleware, lib/shared/session.js, saves); that one is dropped here.
 */
export async function signedInSession(provider: Provider, ctx: Context): Promise<SignedInSession | null> {
  const session = await provider.Session.get(ctx);
  if (!session.accountId) return null;
  return { accountId: session.accountId, amr: session.amr ?? [], acr: session.acr, uid: session.uid };
}

/**
 * The provider's public signing keys, exactly as its jwks_uri serves them (lib/actions/jwks.js reads
 * the same private state): what verifies its RFC 9068 JWT access tokens in-process.
 */
export function publicJwks(provider: Provider): { keys: Record<string, unknown>[] } {
  const state = lib.weakCache.default(provider) as unknown as { jwks: { keys: Record<string, unknown>[] } };
  return { keys: state.jwks.keys };
}

/**
 * The logout token of OpenID Connect Back-Channel Logout 1.0 §2.4, built as the library builds it
 * (lib/models/client.js backchannelLogout): an IdToken of `sub` alone (pairwise if the client is),
 * the back-channel logout event, a fresh `jti`, `sid` when the client registered
 * backchannel_logout_session_required, signed for `use: 'logout'` (lib/models/id_token.js: iss, aud,
 * iat, exp two minutes on, `typ: logout+jwt`, the client's ID token alg; no nonce).
 */
export async function logoutToken(
  provider: Provider,
  client: Client,
  sub: string,
  sid: string | undefined,
): Promise<string> {
  const token = new provider.IdToken({ sub }, { client, ctx: undefined } as never) as IdToken & {
    mask: Record<string, null>;
  };
  token.mask = { sub: null };
  token.set('events', { 'http://schemas.openid.net/event/backchannel-logout': {} });
  token.set('jti', randomBytes(16).toString('base64url'));
  if (client.backchannelLogoutSessionRequired) token.set('sid', sid);
  return token.issue({ use: 'logout' } as never);
}

/** What a client's back-channel logout is handed instead of being sent: client, subject and sid. */
export type LogoutQueue = (client: Client, sub: string, sid: string | undefined) => Promise<void>;

/**
 * RP-initiated logout (lib/actions/end_session.js endSession) calls `client.backchannelLogout(sub,
 * sid)` for each client of the session with a backchannel_logout_uri and awaits the POSTs before it
 * answers. Patched on this provider's own Client class to hand the logout to `queue` instead (the
 * outbox, delivered by a job with its timeout and retries), so the logout page never waits on a
 * receiver. The library's 'backchannel.success' event then means "queued".
 */
export function queueBackchannelLogouts(provider: Provider, queue: LogoutQueue): void {
  type Send = (this: Client, sub: string, sid: string | undefined) => Promise<void>;
  const prototype = provider.Client.prototype as unknown as { backchannelLogout: Send };
  prototype.backchannelLogout = async function backchannelLogout(this: Client, sub, sid) {
    await queue(this, sub, sid);
  };
}

/** What an authorization code proved, redeemed by one of Gatehouse's own clients (the console). */
export interface RedeemedCode {
  accountId: string;
  grantId: string;
  /** How the person signed in (the session's amr the code carries: `pwd`, `mfa`, …). */
  amr: string[];
}

/**
 * Redeems an authorization code of a first-party public client in process, with the checks the
 * token endpoint makes (lib/actions/grants/authorization_code.js): the code exists and has not
 * expired, belongs to the client and this redirect URI, was not used before (the adapter's
 * compare-and-set consume refuses a second redemption, on any node), and the verifier is the
 * PKCE S256 one (RFC 7636 §4.6). The console needs no tokens, only who signed in and the grant that
 * sign-in created; null when anything does not hold.
 */
export async function redeemAuthorizationCode(
  provider: Provider,
  presented: { code: string; clientId: string; redirectUri: string; verifier: string },
): Promise<RedeemedCode | null> {
  const code = await provider.AuthorizationCode.find(presented.code).catch(() => undefined);
  if (!code || (code as { consumed?: unknown }).consumed || !code.accountId || !code.grantId) return null;
  if (code.clientId !== presented.clientId || code.redirectUri !== presented.redirectUri) return null;
  if (code.codeChallengeMethod !== 'S256' || !code.codeChallenge) return null;
  const expected = Buffer.from(code.codeChallenge);
  const given = Buffer.from(createHash('sha256').update(presented.verifier).digest('base64url'));
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  try {
    await code.consume();
  } catch {
    return null;
  }
  return { accountId: code.accountId, grantId: code.grantId, amr: code.amr ?? [] };
}

/** Whether the grant still exists (not revoked, not expired): a console session lives as long. */
export async function grantExists(provider: Provider, grantId: string): Promise<boolean> {
  return Boolean(await provider.Grant.find(grantId).catch(() => undefined));
}

/** Ends a grant the console holds (it was issued no tokens, so the grant is all there is). */
export async function endGrant(provider: Provider, grantId: string): Promise<void> {
  const grant = await provider.Grant.find(grantId).catch(() => undefined);
  await grant?.destroy();
}
