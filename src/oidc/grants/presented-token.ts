/**
 * A token presented to the token exchange grant (RFC 8693 §2.1 subject_token, actor_token), checked
 * as the provider checks a token it issued before it trusts one, with the models' documented finds:
 * - opaque (stored): found, unexpired, unrevoked (AccessToken.find, ClientCredentials.find: a revoked
 *   token is gone from the adapter), its grant found, unexpired and matching client and account (the
 *   checks of lib/actions/introspection.js), its client registered, its account there and enabled;
 * - a JWT access token (RFC 9068, a registered API's `jwt` format): signed by one of the provider's
 *   keys with `typ: at+jwt`, issued by this issuer, unexpired, for an API still registered, its client
 *   registered, its account there and enabled. A JWT is not stored, so it cannot be revoked: it is
 *   accepted until it expires, as the API that received it accepts it.
 * A token bound to a key (DPoP cnf.jkt, RFC 9449; mTLS x5t#S256, RFC 8705) is refused: exchanging it
 * for a bearer token would drop the binding that protects it.
 */
import { createPublicKey } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type { Provider } from 'oidc-provider';
import type { AccountStore } from '../../accounts/store';
import type { ResourceServerStore } from '../../clients/resource-servers';
import { protocolErrors } from '../unavailable';

/** What the exchange needs to know about a presented token, whatever its format. */
export interface PresentedToken {
  /** The account the token is for; absent for a client's own token (client credentials). */
  accountId?: string;
  /** The client the token was issued to. */
  clientId: string;
  scopes: string[];
  /** The API the token is for (RFC 8707), absent for a token for the provider's own endpoints. */
  audience?: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** The claims carried beside the token's own (extraTokenClaims): amr, acr, act. */
  extra: Record<string, unknown>;
}

export interface PresentedTokenDeps {
  accounts: Pick<AccountStore, 'findById'>;
  resourceServers: Pick<ResourceServerStore, 'find'>;
  /** The provider's signing keys (private JWKs: only their public parts are used here). */
  jwks: { keys: JWK[] };
}

/** Opaque values are 43 characters (imported ones shorter): as the API's bearer check (api/access-token.ts). */
const MAX_OPAQUE_LENGTH = 512;
/** A JWT access token of a few claims stays far below this. */
const MAX_JWT_LENGTH = 8192;
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;
/** The public parameters of a JWK (RFC 7518 §6): what verifying needs, never the private ones. */
const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);

function publicJwk(jwk: JWK): JWK {
  const exported = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ format: 'jwk' }) as JWK;
  const kept = Object.entries(jwk).filter(([name]) => !PRIVATE_MEMBERS.has(name));
  return { ...Object.fromEntries(kept), ...exported };
}

/** The claims extraTokenClaims adds (sign-in-claims.ts amr, acr) and the delegation chain (act). */
const EXTRA_CLAIMS = ['amr', 'acr', 'act'] as const;

function pickExtra(claims: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    EXTRA_CLAIMS.filter((name) => claims[name] !== undefined).map((name) => [name, claims[name]]),
  );
}

function scopesOf(scope: unknown): string[] {
  return typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [];
}

export function createTokenReader(provider: Provider, deps: PresentedTokenDeps) {
  const keys = createLocalJWKSet({ keys: deps.jwks.keys.map(publicJwk) });

  async function accountUsable(accountId: string): Promise<boolean> {
    const account = await protocolErrors(deps.accounts.findById(accountId));
    return account !== null && !account.disabled;
  }

  async function clientRegistered(clientId: string | undefined): Promise<boolean> {
    return clientId !== undefined && (await provider.Client.find(clientId)) !== undefined;
  }

  async function readOpaque(value: string, allowClientTokens: boolean): Promise<PresentedToken | null> {
    const token = await provider.AccessToken.find(value);
    if (token) {
      if (!token.isValid || token.isSenderConstrained() || !token.accountId || !token.grantId) return null;
      const grant = await provider.Grant.find(token.grantId, { ignoreExpiration: true });
      if (!grant || grant.isExpired) return null;
      if (grant.clientId !== token.clientId || grant.accountId !== token.accountId) return null;
      if (!(await clientRegistered(token.clientId)) || !(await accountUsable(token.accountId))) return null;
      return {
        accountId: token.accountId,
        clientId: token.clientId!,
        scopes: scopesOf(token.scope),
        ...(typeof token.aud === 'string' && { audience: token.aud }),
        exp: token.exp!,
        extra: pickExtra(token.extra ?? {}),
      };
    }
    if (!allowClientTokens) return null;
    const own = await provider.ClientCredentials.find(value);
    if (!own || !own.isValid || own.isSenderConstrained() || !(await clientRegistered(own.clientId)))
      return null;
    return {
      clientId: own.clientId!,
      scopes: scopesOf(own.scope),
      ...(typeof own.aud === 'string' && { audience: own.aud }),
      exp: own.exp!,
      extra: pickExtra(own.extra ?? {}),
    };
  }

  async function readJwt(value: string, allowClientTokens: boolean): Promise<PresentedToken | null> {
    let payload: JWTPayload;
    try {
      // RFC 9068 §4: typ at+jwt, the issuer, a signature by one of its keys, an unexpired token.
      ({ payload } = await jwtVerify(value, keys, { issuer: provider.issuer, typ: 'at+jwt' }));
    } catch {
      return null;
    }
    const { aud, sub, exp, scope, cnf, client_id: clientId } = payload;
    if (typeof aud !== 'string' || typeof sub !== 'string' || typeof exp !== 'number') return null;
    if (typeof clientId !== 'string' || cnf !== undefined) return null;
    // The API must still be registered: a deregistered API's tokens are no longer the provider's.
    if (!(await protocolErrors(deps.resourceServers.find(aud)))) return null;
    if (!(await clientRegistered(clientId))) return null;
    // A client's own token says sub = client_id (lib/models/formats/jwt.js: `sub: sub || clientId`).
    const ofClient = sub === clientId;
    if (ofClient ? !allowClientTokens : !(await accountUsable(sub))) return null;
    return {
      ...(!ofClient && { accountId: sub }),
      clientId,
      scopes: scopesOf(scope),
      audience: aud,
      exp,
      extra: pickExtra(payload),
    };
  }

  /**
   * The token, or null when it is none the provider would accept now. A client's own token
   * (client credentials) only where `allowClientTokens`: an actor may be a client, a subject is a person.
   */
  return async function readPresentedToken(
    value: string,
    options: { allowClientTokens: boolean },
  ): Promise<PresentedToken | null> {
    if (!value || value.length > MAX_JWT_LENGTH) return null;
    if (JWT_SHAPE.test(value)) return readJwt(value, options.allowClientTokens);
    return value.length > MAX_OPAQUE_LENGTH ? null : readOpaque(value, options.allowClientTokens);
  };
}

export type TokenReader = ReturnType<typeof createTokenReader>;
