/**
 * Resource indicators (RFC 8707) and JWT access tokens (RFC 9068) from the registry of APIs
 * (clients/resource-servers.ts). A client that names a registered API with `resource` gets an access
 * token whose audience is the API's identifier, carrying only the API's scopes, in the API's format
 * and for its lifetime:
 * - `jwt`: RFC 9068 — the library signs `typ: at+jwt` with iss, sub, aud, exp, iat, jti, client_id
 *   and scope (lib/models/formats/jwt.js), here with RS256 from the provider's own keys, so an API
 *   verifies it offline against /jwks. It is not stored: it cannot be introspected or revoked.
 * - `opaque`: stored like any access token; the API introspects it (RFC 7662) and sees `aud`.
 *
 * Decisions where the RFCs leave room:
 * - No default resource: a request without `resource` is a plain OpenID Connect request and keeps
 *   its opaque access token for /userinfo (RFC 8707 §2: the AS may use a default; Gatehouse does not).
 * - Every client may ask for every registered API. For a person's grant the consent page names the
 *   API and its scopes; for client credentials the API decides what a client_id may do. (A client's
 *   registered `scope` lists OpenID scopes only: the library refuses others in client metadata.)
 * - useGrantedResource: a token or refresh request that names no resource gets a token for the API
 *   granted at authorization (RFC 8707 §2.2), so a refresh keeps the audience. A relying party that
 *   asks for an API and for openid and wants /userinfo too asks for the API by name at the token
 *   endpoint instead (the library then issues the userinfo token only without a granted resource).
 */
import { errors, type ResourceServer as ResourceServerInfo } from 'oidc-provider';
import type { ResourceServer } from '../../clients/resource-servers';
import { protocolErrors } from '../unavailable';
import type { Feature } from './feature';

/** RFC 9068 §2.1: asymmetric signatures; RS256 is what every resource server library verifies. */
export const JWT_ACCESS_TOKEN_ALG = 'RS256' as const;

/** What getResourceServerInfo answers for a registered API (the library's ResourceServer data). */
export function resourceServerInfo(api: ResourceServer): ResourceServerInfo {
  return {
    scope: api.scopes.join(' '),
    audience: api.identifier,
    accessTokenTTL: api.ttlSeconds,
    accessTokenFormat: api.format,
    ...(api.format === 'jwt' && { jwt: { sign: { alg: JWT_ACCESS_TOKEN_ALG } } }),
  };
}

export const resourceIndicators: Feature = {
  configure(config, deps) {
    // The API's lifetime for its tokens; the configured one (ACCESS_TOKEN_TTL) for every other.
    const lifetime = (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) =>
      token.resourceServer?.accessTokenTTL ?? config.ttl.accessToken;
    return {
      ttl: { AccessToken: lifetime, ClientCredentials: lifetime },
      features: {
        resourceIndicators: {
          enabled: true,
          // Returning the one granted resource when there is exactly one to choose from; none otherwise.
          async defaultResource(_ctx, _client, oneOf) {
            return oneOf;
          },
          async useGrantedResource() {
            return true;
          },
          async getResourceServerInfo(_ctx, resourceIndicator) {
            const api = await protocolErrors(deps.resourceServers.find(resourceIndicator));
            // RFC 8707 §2: an unknown resource is invalid_target.
            if (!api) throw new errors.InvalidTarget();
            return resourceServerInfo(api);
          },
        },
      },
    };
  },
};
