/**
 * `extraTokenClaims` (oidc-provider docs, "extraTokenClaims"): every access token of an account says
 * how that account signed in, `amr` (RFC 8176) and `acr` (OpenID Connect Core §2), so that
 * introspection (RFC 7662 §2.2 allows further members) and the API's bearer check can tell a token of a
 * two-factor sign-in from one of a password alone. The values come from what the token was issued
 * from: the authorization code or refresh token being exchanged, the session at the authorization
 * endpoint (implicit and hybrid responses), or what an extension grant set on the token itself.
 */
import type { KoaContextWithOIDC } from 'oidc-provider';

interface SignedIn {
  amr?: string[];
  acr?: string;
}

type TokenLike = { kind: string; accountId?: string; extra?: Record<string, unknown> };

function fromContext(ctx: KoaContextWithOIDC | undefined): SignedIn | undefined {
  const oidc = ctx?.oidc;
  if (!oidc) return undefined;
  const entities = oidc.entities as Record<string, SignedIn | undefined>;
  const exchanged = entities.AuthorizationCode ?? entities.RefreshToken ?? entities.DeviceCode;
  if (exchanged) return exchanged;
  // At the authorization endpoint (its routes name it), the session that just signed in.
  if (oidc.route === 'authorization' || oidc.route === 'resume') return oidc.session ?? undefined;
  return undefined;
}

export async function signInClaims(
  ctx: KoaContextWithOIDC | undefined,
  token: TokenLike,
): Promise<Record<string, unknown> | undefined> {
  if (token.kind !== 'AccessToken' || !token.accountId) return token.extra;
  // Set by the extension grants when they create the token (grants/issue.ts).
  if (token.extra?.amr) return token.extra;
  const source = fromContext(ctx);
  if (!source?.amr && !source?.acr) return token.extra;
  return { ...token.extra, amr: source.amr, acr: source.acr };
}
