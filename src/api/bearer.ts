/**
 * Bearer authentication for the API (RFC 6750 §2.1: the Authorization header only; tokens in query
 * strings leak into logs), and DPoP (RFC 9449 §7: `Authorization: DPoP <token>` with one `DPoP` proof
 * header, for this URL and method). The token is the provider's own access token, checked by the
 * provider on every request against the database (access-token.ts), so a revocation on any node takes
 * effect at once; a DPoP-bound token presented as Bearer, or with a proof of another key, URL or
 * method, or a proof used before, is refused with a DPoP challenge (§7.1).
 */
import type { Context, Next } from 'koa';
import type { Provider } from 'oidc-provider';
import { setActor } from '../audit/context';
import { GatehouseError } from '../errors';
import { findProvenAccessToken, type PresentedToken, type ValidAccessToken } from './access-token';
import { ACR_TWO_FACTORS, isMultiFactor } from '../accounts/mfa/methods';
import {
  BEARER_REALM,
  insufficientScope,
  insufficientUserAuthentication,
  invalidToken,
  missingRole,
  missingToken,
} from './errors';

export interface ApiState {
  auth?: ValidAccessToken;
}

/** The token of `Authorization: Bearer <token>`, null when there is no such header. */
export function bearerTokenOf(ctx: Context): string | null {
  const header = ctx.get('authorization');
  if (!header) return null;
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  return match ? match[1]! : '';
}

/**
 * The token of the Authorization header with its scheme (Bearer, RFC 6750 §2.1; DPoP, RFC 9449 §7.1),
 * null without the header, '' as the value for anything else. A DPoP token comes with the request's
 * one DPoP header (several are joined with a comma, which no compact JWS holds: §4.3 allows one).
 */
function presentedTokenOf(ctx: Context, provider: Provider): PresentedToken | null {
  const header = ctx.get('authorization');
  if (!header) return null;
  const match = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  if (!match) return { scheme: 'Bearer', value: '' };
  const value = match[2]!;
  if (match[1]!.toLowerCase() === 'bearer') return { scheme: 'Bearer', value };
  const proof = ctx.get('dpop');
  // htu is the URL without query and fragment (§4.3), at the issuer's public origin.
  const url = new URL(ctx.path, provider.issuer).href;
  return {
    scheme: 'DPoP',
    value: proof && !proof.includes(',') ? value : '',
    dpop: { proof, method: ctx.method, url },
  };
}

/** RFC 9449 §7.1: a refused DPoP presentation or key-bound token gets a DPoP challenge. */
const invalidDpopToken = () =>
  new GatehouseError('invalid_token', 401, 'the access token is invalid, expired or revoked', {
    headers: { 'WWW-Authenticate': `DPoP realm="${BEARER_REALM}", error="invalid_token"` },
  });

/**
 * RFC 9449 §9: the proof must carry the nonce of the DPoP-Nonce header; the client retries with it.
 * The challenge carries the error (what clients read); the body keeps the API's invalid_token code.
 */
const useDpopNonce = (nonce: string) =>
  new GatehouseError('invalid_token', 401, 'the DPoP proof must carry the server-provided nonce', {
    headers: {
      'WWW-Authenticate': `DPoP realm="${BEARER_REALM}", error="use_dpop_nonce", error_description="the DPoP proof must carry the server-provided nonce"`,
      'DPoP-Nonce': nonce,
    },
  });

/** The authenticated token; only valid behind `authenticateBearer`. */
export function authOf(ctx: Context): ValidAccessToken {
  const auth = (ctx.state as ApiState).auth;
  if (!auth) throw new Error('authOf called on a route without authenticateBearer');
  return auth;
}

export function authenticateBearer({ provider }: { provider: Provider }) {
  return async function authenticateBearerToken(ctx: Context, next: Next): Promise<void> {
    const presented = presentedTokenOf(ctx, provider);
    if (presented === null) throw missingToken();
    if (!presented.value) throw presented.scheme === 'DPoP' ? invalidDpopToken() : invalidToken();
    const found = await findProvenAccessToken(provider, presented, ctx.req.socket);
    if (!found.auth) {
      if (found.error === 'use_dpop_nonce' && found.nonce) throw useDpopNonce(found.nonce);
      throw found.scheme === 'DPoP' ? invalidDpopToken() : invalidToken();
    }
    (ctx.state as ApiState).auth = found.auth;
    // Who acts for the rest of the request (the audit trail): the token's account, else its client
    // (a token without an account: client credentials).
    const sub = found.auth.account?.id;
    setActor(sub ? { type: 'account', id: sub } : { type: 'client', id: found.auth.client.clientId });
    // RFC 9449 §9: a fresh nonce for the client's next proof (every node accepts it).
    if (found.nonce) ctx.set('DPoP-Nonce', found.nonce);
    ctx.set('Cache-Control', 'no-store');
    await next();
  };
}

export function requireScope(scope: string) {
  return async function requireTokenScope(ctx: Context, next: Next): Promise<void> {
    if (!authOf(ctx).scopes.has(scope)) throw insufficientScope(scope);
    await next();
  };
}

export function requireRole(role: string) {
  return async function requireAccountRole(ctx: Context, next: Next): Promise<void> {
    if (!authOf(ctx).account.roles.includes(role)) throw missingRole(role);
    await next();
  };
}

/**
 * With MFA_REQUIRED_ROLES set, the administration API takes only tokens of a two-factor sign-in
 * (`mfa` in their amr): an admin password alone, phished or guessed, opens nothing.
 */
export function requireMultiFactor() {
  return async function requireMultiFactorSignIn(ctx: Context, next: Next): Promise<void> {
    if (!isMultiFactor(authOf(ctx).amr)) throw insufficientUserAuthentication(ACR_TWO_FACTORS);
    await next();
  };
}
