/**
 * Signing in to the account pages through Gatehouse's own authorization endpoint, as the first-party
 * client `gatehouse-account` (client.ts) with `response_type=none`: the provider runs its login (and
 * any second factor or step-up) and sets its session cookie; the pages then read that session.
 *
 * Login CSRF (RFC 6749 §10.12): the request carries a random `state`, also kept in a short-lived
 * signed httpOnly cookie scoped to /account; the callback accepts only the state of its own browser,
 * so nobody can complete a sign-in started elsewhere in someone else's browser.
 *
 * Where the person returns afterwards (the page they opened) is one of a fixed list of the account
 * pages, kept in a second signed cookie beside the state: never a URL taken from the request, which
 * would make the callback an open redirector (RFC 6749 §10.15).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import { GatehouseError } from '../../errors';
import { ACCOUNT_CLIENT_ID, ACCOUNT_PATHS, ACCOUNT_REQUEST_SCOPE, accountRedirectUri } from './client';

const STATE_COOKIE = 'gatehouse.account_state';
const RETURN_COOKIE = 'gatehouse.account_return';

/** The pages a sign-in may return to; the overview when the cookie names none of them. */
export const SIGN_IN_RETURN_PATHS = [ACCOUNT_PATHS.root, ACCOUNT_PATHS.mfa] as const;
export type SignInReturnPath = (typeof SIGN_IN_RETURN_PATHS)[number];

function returnPathOf(value: string | undefined): SignInReturnPath {
  return SIGN_IN_RETURN_PATHS.find((path) => path === value) ?? ACCOUNT_PATHS.root;
}

export interface SignInOptions {
  provider: Provider;
  issuer: string;
  /** How long a sign-in may take: the provider's interaction lifetime. */
  stateTtlSeconds: number;
}

/** The state cookie: signed with the host's keys (the provider's cookie keys), Secure for https. */
function cookieOptions(ctx: Context, options: SignInOptions, maxAge: number) {
  const secure = options.issuer.startsWith('https://');
  // Behind a TLS terminator the hop is http; the issuer decides (as oidc/https-issuer.ts does).
  if (secure) ctx.cookies.secure = true;
  return { signed: true, httpOnly: true, sameSite: 'lax' as const, path: ACCOUNT_PATHS.root, secure, maxAge };
}

/**
 * 303 to the authorization endpoint for gatehouse-account, with a fresh state in the cookie and the
 * page to come back to (`returnTo`) beside it.
 */
export function startSignIn(ctx: Context, options: SignInOptions, returnTo: SignInReturnPath): void {
  const state = randomBytes(32).toString('base64url');
  const maxAge = options.stateTtlSeconds * 1000;
  ctx.cookies.set(STATE_COOKIE, state, cookieOptions(ctx, options, maxAge));
  ctx.cookies.set(RETURN_COOKIE, returnPathOf(returnTo), cookieOptions(ctx, options, maxAge));
  const query = new URLSearchParams({
    client_id: ACCOUNT_CLIENT_ID,
    response_type: 'none',
    redirect_uri: accountRedirectUri(options.issuer),
    scope: ACCOUNT_REQUEST_SCOPE,
    state,
  });
  ctx.status = 303;
  ctx.redirect(`${options.provider.pathFor('authorization')}?${query.toString()}`);
}

/** Whether a presented value is the expected one (a state, a verifier), in constant time. */
export function sameState(expected: string | undefined, presented: unknown): boolean {
  if (!expected || typeof presented !== 'string' || !presented) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The redirect back from the authorization endpoint: its state must be this browser's (the cookie is
 * spent either way); an `iss` must be this issuer (RFC 9207 §2.4); an error the provider sent back
 * (the person cancelled) is shown. Then 303 to the page the sign-in started from, which finds the
 * session.
 */
export function finishSignIn(ctx: Context, options: SignInOptions): void {
  const expected = ctx.cookies.get(STATE_COOKIE, { signed: true });
  const returnTo = returnPathOf(ctx.cookies.get(RETURN_COOKIE, { signed: true }));
  ctx.cookies.set(STATE_COOKIE, null, cookieOptions(ctx, options, 0));
  ctx.cookies.set(RETURN_COOKIE, null, cookieOptions(ctx, options, 0));
  const { state, iss, error } = ctx.query;
  if (!sameState(expected, state))
    throw new GatehouseError('access_denied', 403, 'the sign-in response does not belong to this browser');
  if (iss !== undefined && iss !== options.issuer)
    throw new GatehouseError('invalid_request', 400, 'iss does not name this issuer');
  if (error !== undefined) {
    const code = typeof error === 'string' && /^[a-z_]{1,64}$/.test(error) ? error : 'invalid_request';
    throw new GatehouseError('access_denied', 403, `the sign-in did not complete: ${code}`);
  }
  ctx.status = 303;
  ctx.redirect(returnTo);
}
