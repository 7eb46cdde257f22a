/**
 * Bearer authentication for the API (RFC 6750 §2.1: the Authorization header only; tokens in query
 * strings leak into logs). The token is the provider's own access token, checked by the provider on
 * every request against the database (access-token.ts), so a revocation on any node takes effect at once.
 */
import type { Context, Next } from 'koa';
import type { Provider } from 'oidc-provider';
import { findValidAccessToken, type ValidAccessToken } from './access-token';
import { ACR_TWO_FACTORS, isMultiFactor } from '../accounts/mfa/methods';
import {
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

/** The authenticated token; only valid behind `authenticateBearer`. */
export function authOf(ctx: Context): ValidAccessToken {
  const auth = (ctx.state as ApiState).auth;
  if (!auth) throw new Error('authOf called on a route without authenticateBearer');
  return auth;
}

export function authenticateBearer({ provider }: { provider: Provider }) {
  return async function authenticateBearerToken(ctx: Context, next: Next): Promise<void> {
    const value = bearerTokenOf(ctx);
    if (value === null) throw missingToken();
    const auth = value ? await findValidAccessToken(provider, value, ctx.req.socket) : null;
    if (!auth) throw invalidToken();
    (ctx.state as ApiState).auth = auth;
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
