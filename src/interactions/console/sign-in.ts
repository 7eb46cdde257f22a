/**
 * Signing in to the console through Gatehouse's own authorization endpoint, as the first-party public
 * client `gatehouse-admin` (client.ts) with the authorization code flow and PKCE: the provider runs
 * its login (and the second factor MFA_REQUIRED_ROLES asks of admins), and the callback redeems the
 * code in process (oidc/internals.ts redeemAuthorizationCode) for who signed in and the grant.
 *
 * Login CSRF (RFC 6749 §10.12): `state` and the PKCE verifier live in short-lived signed httpOnly
 * cookies scoped to /admin; a callback is accepted only with this browser's state, and its code only
 * with this browser's verifier. The callback always returns to /admin, never to a URL from the
 * request (RFC 6749 §10.15).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { isMultiFactor } from '../../accounts/mfa/methods';
import { GatehouseError } from '../../errors';
import { redeemAuthorizationCode } from '../../oidc/internals';
import { sameState } from '../account/sign-in';
import { ADMIN_CLIENT_ID, CONSOLE_PATHS, CONSOLE_SCOPE, consoleRedirectUri } from './client';
import { CONSOLE_ROLE, cookieOptions, startConsoleSession, type ConsoleSessionOptions } from './session';

const STATE_COOKIE = 'gatehouse.admin_state';
const VERIFIER_COOKIE = 'gatehouse.admin_verifier';

export interface ConsoleSignInOptions extends ConsoleSessionOptions {
  /** How long a sign-in may take: the provider's interaction lifetime. */
  stateTtlSeconds: number;
  /** MFA_REQUIRED_ROLES: when set, a sign-in without a second factor is refused, as by the admin API. */
  mfaRequiredRoles: readonly string[];
}

/** The state cookie is set on a redirect that ends at the provider: lax, so it comes back with it. */
function flowCookie(ctx: Context, options: ConsoleSignInOptions, maxAgeMs: number) {
  return { ...cookieOptions(ctx, options.issuer, maxAgeMs), sameSite: 'lax' as const };
}

/** 303 to the authorization endpoint for gatehouse-admin, with a fresh state and PKCE verifier. */
export function startConsoleSignIn(ctx: Context, options: ConsoleSignInOptions): void {
  const state = randomBytes(32).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const maxAge = options.stateTtlSeconds * 1000;
  ctx.cookies.set(STATE_COOKIE, state, flowCookie(ctx, options, maxAge));
  ctx.cookies.set(VERIFIER_COOKIE, verifier, flowCookie(ctx, options, maxAge));
  const query = new URLSearchParams({
    client_id: ADMIN_CLIENT_ID,
    response_type: 'code',
    redirect_uri: consoleRedirectUri(options.issuer),
    scope: CONSOLE_SCOPE,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  ctx.status = 303;
  ctx.redirect(`${options.provider.pathFor('authorization')}?${query.toString()}`);
}

/**
 * The redirect back from the authorization endpoint. The cookies are spent either way. Refused: a
 * state that is not this browser's, an `iss` of another issuer (RFC 9207 §2.4), an error from the
 * provider, a code that does not redeem, and an account that is not an enabled admin (or, with
 * MFA_REQUIRED_ROLES set, one that signed in without a second factor).
 */
export async function finishConsoleSignIn(
  ctx: Context,
  options: ConsoleSignInOptions & { accounts: ConsoleSessionOptions['accounts'] },
): Promise<void> {
  const expectedState = ctx.cookies.get(STATE_COOKIE, { signed: true });
  const verifier = ctx.cookies.get(VERIFIER_COOKIE, { signed: true });
  ctx.cookies.set(STATE_COOKIE, null, flowCookie(ctx, options, 0));
  ctx.cookies.set(VERIFIER_COOKIE, null, flowCookie(ctx, options, 0));
  const { state, iss, error, code } = ctx.query;
  if (!sameState(expectedState, state) || !verifier)
    throw new GatehouseError('access_denied', 403, 'the sign-in response does not belong to this browser');
  if (iss !== undefined && iss !== options.issuer)
    throw new GatehouseError('invalid_request', 400, 'iss does not name this issuer');
  if (error !== undefined) {
    const name = typeof error === 'string' && /^[a-z_]{1,64}$/.test(error) ? error : 'invalid_request';
    throw new GatehouseError('access_denied', 403, `the sign-in did not complete: ${name}`);
  }
  if (typeof code !== 'string' || !code || code.length > 512)
    throw new GatehouseError('invalid_request', 400, 'code: missing');
  const redeemed = await redeemAuthorizationCode(options.provider, {
    code,
    clientId: ADMIN_CLIENT_ID,
    redirectUri: consoleRedirectUri(options.issuer),
    verifier,
  });
  if (!redeemed) throw new GatehouseError('access_denied', 403, 'the sign-in code is invalid or was used');
  const account = await options.accounts.findById(redeemed.accountId);
  if (!account || account.disabled || !account.roles.includes(CONSOLE_ROLE))
    throw new GatehouseError('access_denied', 403, 'the console is for administrators');
  // As the admin API (api/bearer.ts requireMultiFactor): with MFA_REQUIRED_ROLES set, two factors.
  if (options.mfaRequiredRoles.length && !isMultiFactor(redeemed.amr))
    throw new GatehouseError('access_denied', 403, 'the console needs a sign-in with a second factor');
  startConsoleSession(ctx, options, redeemed);
  ctx.status = 303;
  ctx.redirect(CONSOLE_PATHS.root);
}
