/**
 * Builds the oidc-provider instance from the Config and the stores: the whole configuration, the
 * extension grants, and every middleware Gatehouse adds to the provider, in one documented order.
 * The protocol is the library's; this file only configures it (docs/README.md of oidc-provider,
 * "Configuration options"). What the domains above `oidc` add (the pages) is passed in.
 */
import type { Middleware } from 'koa';
import { Provider, errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config';
import { RESPONSE_TYPES } from '../clients/metadata';
import { ACR_VALUES } from '../accounts/mfa/methods';
import { limitClientAuthFailures } from '../security/client-auth-failures';
import { limitClientRegistration } from '../security/client-registration-limit';
import { createAdapterFactory } from './adapter';
import { sharedFind } from './shared-finds';
import { SCOPE_CLAIMS, providerAccount, supportedScopes } from './claims';
import { registerGrants } from './grants';
import { EXTENSION_GRANT_TYPES, TOKEN_EXCHANGE_GRANT } from './grants/names';
import { FEATURES, mergeConfiguration } from './features';
import { takeSchemeFromIssuer } from './https-issuer';
import { addDjangoUsername } from './django-introspection';
import {
  answerUnauthorizedClient,
  compareClientSecretsWith,
  enforceRegisteredSecretMethod,
  introspectionPolicy,
} from './internals';
import { expiresWithSession, issueRefreshToken } from './offline-access';
import { signInClaims } from './sign-in-claims';
import { stepUpPolicy } from './step-up';
import {
  answerDatabaseOutage,
  markOutage,
  protocolErrors,
  unavailableAdapterFactory,
  unavailableAsProtocolError,
} from './unavailable';
import { rotateRefreshTokensAtomically } from './refresh-rotation';
import { recordLogouts } from './logout-audit';
import { recordSessionActivity } from './session-activity';
import type { ProviderDeps, ProviderExtensions } from './provider-deps';

export type { ProviderDeps, ProviderExtensions } from './provider-deps';

/** Where the login and consent pages live; the interaction cookie is scoped to this path. */
export const INTERACTION_PATH = '/interaction';

/** What the domains above `oidc` add to the provider, handed in so that nothing here imports them. */
export interface ProviderAdditions {
  /** Configuration of the pages: renderError, the logout pages, first-party consent. */
  configuration?: ProviderExtensions;
  /** Answers the routes nothing else answered (the provider leaves them a bare 404). */
  notFound?: Middleware;
}

export function buildConfiguration(
  config: Config,
  deps: ProviderDeps,
  extensions: ProviderExtensions = {},
): Configuration {
  const { accounts, clients, db, keys } = deps;
  const https = config.issuer.startsWith('https://');
  const baseFeatures: Configuration['features'] = {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: {
      enabled: true,
      // RFC 7662 §2.1: the caller must authenticate. Confidential clients act as resource servers
      // and may introspect any token; a public client only its own.
      allowedPolicy: introspectionPolicy(
        async (ctx, client, token) =>
          client.clientAuthMethod !== 'none' || token.clientId === ctx.oidc.client?.clientId,
      ),
    },
    revocation: {
      enabled: true,
      // RFC 7009 §2.1: only the client the token was issued to may revoke it.
      allowedPolicy: async (_ctx, client, token) => {
        if (token.clientId === client.clientId) return true;
        if (client.clientAuthMethod === 'none') return false;
        throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
      },
    },
    userinfo: { enabled: true },
    // OpenID Connect Core §5.5: the claims request parameter (the suite's oidcc-claims-essential).
    claimsParameter: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  };
  const configuration: Configuration = {
    adapter: unavailableAdapterFactory(createAdapterFactory(db, clients)),
    jwks: keys.jwks as Configuration['jwks'],
    cookies: {
      keys: keys.cookieKeys,
      // An https issuer: Secure whatever the hop to the node (https-issuer.ts makes the context
      // secure). Otherwise the library decides per request (Secure when ctx.secure).
      long: { signed: true, httpOnly: true, sameSite: 'lax', ...(https && { secure: true }) },
      short: { signed: true, httpOnly: true, sameSite: 'lax', ...(https && { secure: true }) },
    },
    async findAccount(_ctx: KoaContextWithOIDC, sub: string) {
      // Read with the token when its look-up brought the account here (adapter.ts findStatement).
      const account = await protocolErrors(sharedFind('Account', sub, () => accounts.findById(sub)));
      // A disabled account's tokens stop working at userinfo and wherever the account is resolved.
      if (!account || account.disabled) return undefined;
      return providerAccount(account);
    },
    // OpenID Connect Core §2 acr; discovery's acr_values_supported. A login result names one of them.
    acrValues: [...ACR_VALUES],
    extraTokenClaims: signInClaims,
    claims: {
      ...Object.fromEntries(Object.entries(SCOPE_CLAIMS).map(([scope, claims]) => [scope, [...claims]])),
      // Every ID token says how the account signed in (OIDC Core §2 acr, RFC 8176 amr): the library
      // masks an ID token's acr and amr like any claim, so without them under `openid` they would
      // appear only when a relying party asks for them (acr_values, the claims parameter).
      openid: [...SCOPE_CLAIMS.openid, 'acr', 'amr'],
    },
    scopes: supportedScopes(config.extraScopes),
    // The one list the client validator also reads (clients/metadata.ts).
    responseTypes: [...RESPONSE_TYPES],
    pkce: {
      // OAuth 2.0 Security BCP: S256 only; required for public clients (the library's default).
      required: (_ctx, client) => client.clientAuthMethod === 'none',
    },
    rotateRefreshToken: true,
    // OpenID Connect Core §3.1.2.1: redirect_uri is REQUIRED, even for a client with one registered
    // (the suite's oidcc-ensure-redirect-uri-in-authorization-request; the library allows omitting it).
    allowOmittingSingleRegisteredRedirectUri: false,
    // OpenID Connect Core §11 "other conditions": a consent given earlier for offline access (offline-access.ts).
    issueRefreshToken,
    expiresWithSession,
    ttl: {
      AccessToken: config.ttl.accessToken,
      ClientCredentials: config.ttl.accessToken,
      AuthorizationCode: config.ttl.authorizationCode,
      IdToken: config.ttl.idToken,
      RefreshToken: config.ttl.refreshToken,
      Session: config.ttl.session,
      Interaction: config.ttl.interaction,
      Grant: config.ttl.grant,
    },
    extraClientMetadata: { properties: ['first_party'] },
    // django-oauth-toolkit's applications sign ID tokens with RS256 or HS256 (the client's secret as
    // the key, OpenID Connect Core §10.1). HS256 is offered only to teams moving off it: the library's
    // default list otherwise, as the conformance battery knows it.
    ...(config.djangoCompat && {
      enabledJWA: { idTokenSigningAlgValues: ['RS256', 'PS256', 'ES256', 'Ed25519', 'EdDSA', 'HS256'] },
    }),
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    interactions: {
      url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}`,
      policy: stepUpPolicy({ requiredRoles: config.mfa.requiredRoles }),
    },
    features: baseFeatures,
  };
  // The protocol features (features/), then the pages' configuration: `features` merged per name,
  // plain objects key by key (features/merge.ts).
  const merged = mergeConfiguration(
    configuration,
    ...FEATURES.map((feature) => feature.configure(config, deps)),
    extensions,
  );
  // An outage while loading a grant for /auth must reach its error handler as a protocol error.
  if (extensions.loadExistingGrant)
    merged.loadExistingGrant = unavailableAsProtocolError(extensions.loadExistingGrant);
  return merged;
}

/**
 * Every middleware Gatehouse adds to the provider, outermost first: Koa runs them in `use` order
 * around the provider's own routes, each seeing the answer of those after it (oidc-provider docs,
 * "Pre- and post-middlewares").
 * 1. The outage answer (oidc/unavailable.ts): it sees every answer, and errors thrown outside the
 *    routes, the other middlewares' included.
 * 2. Failed client authentications per source (security/client-auth-failures.ts): a refused source
 *    reaches none of the others; it counts the 401s of the token, introspection and revocation routes.
 *    Dynamic client registrations per source (security/client-registration-limit.ts), when enabled.
 * 3. unauthorized_client for the extension grants (internals.ts answerUnauthorizedClient): rewrites the token
 *    endpoint's invalid_request, before the limiter above looks at the answer.
 * 4. Session activity (oidc/session-activity.ts): after /auth and its resume, when the session was last seen.
 * 5. With DJANGO_COMPAT, the account's username in introspection answers through /o/introspect/
 *    (oidc/django-introspection.ts), as django-oauth-toolkit's resource servers read them.
 * 6. The not-found page: innermost, so the bare 404 it sees is one that nothing routed.
 */
function useMiddleware(
  provider: Provider,
  config: Config,
  deps: ProviderDeps,
  additions: ProviderAdditions,
): void {
  provider.use(answerDatabaseOutage({ renderError: additions.configuration?.renderError }));
  provider.use(
    limitClientAuthFailures({
      // The paths the provider routes (ctx.path), at its root also for an issuer with a path (the
      // issuer's path is pathFor's default mount), and for what came through /o/ (django-paths.ts).
      paths: ['token', 'introspection', 'revocation'].map((route) =>
        provider.pathFor(route, { mountPath: '' }),
      ),
      rateLimits: deps.rateLimits,
      proxy: config.proxy,
    }),
  );
  if (config.clientRegistration !== 'off') {
    const path = provider.pathFor('registration', { mountPath: '' });
    provider.use(limitClientRegistration({ path, rateLimits: deps.rateLimits, proxy: config.proxy }));
  }
  provider.use(answerUnauthorizedClient(new Set([...EXTENSION_GRANT_TYPES, TOKEN_EXCHANGE_GRANT])));
  provider.use(recordSessionActivity({ db: deps.db, logger: deps.logger }));
  provider.use(recordLogouts({ db: deps.db, logger: deps.logger }));
  if (config.djangoCompat) provider.use(addDjangoUsername(deps.accounts));
  if (additions.notFound) provider.use(additions.notFound);
}

export function createProvider(
  config: Config,
  deps: ProviderDeps,
  additions: ProviderAdditions = {},
): Provider {
  const provider = new Provider(config.issuer, buildConfiguration(config, deps, additions.configuration));
  provider.proxy = config.proxy;
  rotateRefreshTokensAtomically(provider, {
    db: deps.db,
    graceSeconds: config.refreshTokenReuseGraceSeconds,
    secretKey: config.secretKey,
  });
  if (config.issuer.startsWith('https://')) takeSchemeFromIssuer(provider);
  // A secret imported as a hash (django-oauth-toolkit ≥ 2.0) is verified in its format when the plain
  // comparison fails, then becomes the plain secret the provider compares (clients/store.ts).
  compareClientSecretsWith(provider, (clientId, presented) =>
    deps.clients.verifyForeignSecret(clientId, presented),
  );
  // A client_secret_basic client authenticates only with Basic, a client_secret_post one only in the
  // body (RFC 7591 §2). django-oauth-toolkit took a secret either way from any client, and so does the
  // /o/ surface for the clients imported from it (DJANGO_COMPAT).
  if (!config.djangoCompat) enforceRegisteredSecretMethod(provider);
  // An outage is logged once per transition (db/unavailable.ts), not once per request.
  provider.on('server_error', (ctx: unknown, err: Error) => {
    if (!markOutage(ctx, err)) deps.logger.error({ err }, 'provider server_error');
  });
  for (const feature of FEATURES) feature.install?.(provider, config, deps);
  useMiddleware(provider, config, deps, additions);
  registerGrants(provider, {
    accounts: deps.accounts,
    otps: deps.otps,
    mfa: deps.mfa,
    mfaRequiredRoles: config.mfa.requiredRoles,
    scopes: supportedScopes(config.extraScopes),
    rateLimits: deps.rateLimits,
    proxy: config.proxy,
    resourceServers: deps.resourceServers,
    keys: deps.keys,
    accessTokenTtl: config.ttl.accessToken,
  });
  return provider;
}
