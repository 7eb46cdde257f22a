/**
 * The provider's RFC 9068 JWT access tokens (issued for APIs registered with format `jwt`,
 * oidc/features/resource-indicators.ts), verified offline as any resource server verifies them:
 * the signature against the provider's public keys (those of its jwks_uri), `typ: at+jwt`
 * (RFC 9068 §4 step 1), the issuer (step 3), the lifetime (step 6) and the claims RFC 9068 §2.2
 * requires. The token is not stored, so no revocation can reach it: only its expiry ends it.
 */
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { Provider } from 'oidc-provider';
import { JWT_ACCESS_TOKEN_ALG } from '../oidc/features/resource-indicators';
import { publicJwks } from '../oidc/internals';

/** A JWS compact serialization: three base64url parts. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export interface JwtAccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  scope?: string;
}

export function looksLikeJwt(value: string): boolean {
  return COMPACT_JWS.test(value);
}

/** The token's claims when it is a valid JWT access token of this provider, null otherwise. */
export async function verifyJwtAccessToken(
  provider: Provider,
  value: string,
): Promise<JwtAccessTokenClaims | null> {
  if (!looksLikeJwt(value)) return null;
  try {
    const keys = createLocalJWKSet(publicJwks(provider) as unknown as JSONWebKeySet);
    const { payload } = await jwtVerify(value, keys, {
      typ: 'at+jwt',
      issuer: provider.issuer,
      algorithms: [JWT_ACCESS_TOKEN_ALG],
      requiredClaims: ['sub', 'aud', 'exp', 'iat', 'jti', 'client_id'],
    });
    if (typeof payload.client_id !== 'string' || typeof payload.sub !== 'string') return null;
    if (payload.scope !== undefined && typeof payload.scope !== 'string') return null;
    return payload as JwtAccessTokenClaims;
  } catch {
    return null;
  }
}
