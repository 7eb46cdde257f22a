/**
 * /api/account/mfa: the caller's own second factors, with a token carrying the scope `account`
 * (granted to first-party clients only, clients/scope.ts). Enrolling an authenticator app is two
 * steps, as RFC 6238 leaves it to the verifier: a pending secret, then a first code from the app that
 * proves it holds the secret; only then is the factor active and the recovery codes are handed out.
 *
 * Every state change is the store's (accounts/mfa/store.ts): one conditional update each, so two
 * requests racing with one code cannot both succeed (RFC 6238 §5.2).
 */
import type { Context } from 'koa';
import type { MfaStore, SecondFactorResult } from '../accounts/mfa/store';
import { GatehouseError, badRequest, conflict, notFound } from '../errors';
import { mfaSummaryView } from './account-mfa-view';
import { codeBody } from './account-schemas';
import { authOf } from './bearer';
import { validateBody } from './validation';

/** The account API's view of the second-factor store. */
export type AccountMfa = Pick<
  MfaStore,
  | 'summary'
  | 'startTotp'
  | 'confirmTotp'
  | 'removeTotp'
  | 'removePasskey'
  | 'regenerateRecoveryCodes'
  | 'totp'
>;

/** The one answer to a wrong code: the field, nothing about why (wrong, reused, expired step). */
const wrongCode = () => badRequest('the code is not valid', { code: 'the code is not valid' });

/**
 * Too many wrong codes (or passwords) for this account: RFC 6585 §4, with Retry-After (RFC 9110
 * §10.2.3) saying when the lockout ends.
 */
function locked(result: Extract<SecondFactorResult, { ok: false }>): GatehouseError {
  const seconds = result.lockedUntil
    ? Math.max(1, Math.ceil((result.lockedUntil.getTime() - Date.now()) / 1000))
    : 1;
  return new GatehouseError('too_many_requests', 429, `too many wrong codes; retry after ${seconds} s`, {
    headers: { 'Retry-After': String(seconds) },
  });
}

export function getAccountMfa({ mfa }: { mfa: Pick<AccountMfa, 'summary'> }) {
  return async function getAccountMfa(ctx: Context): Promise<void> {
    ctx.body = mfaSummaryView(await mfa.summary(authOf(ctx).account.id));
  };
}

/**
 * Starts (or restarts) an authenticator-app enrollment: a new pending secret replaces a pending one,
 * so a person who lost the first QR code simply asks again. An active app must be removed first.
 */
export function startTotpEnrollment({ mfa }: { mfa: Pick<AccountMfa, 'startTotp'> }) {
  return async function startTotpEnrollment(ctx: Context): Promise<void> {
    const { account } = authOf(ctx);
    const enrollment = await mfa.startTotp(account);
    if (!enrollment) throw conflict('an authenticator app is active; remove it before enrolling another');
    ctx.status = 201;
    ctx.body = { secret: enrollment.secret, otpauth_uri: enrollment.otpauthUri, qr_svg: enrollment.qrSvg };
  };
}

/**
 * Activates the pending app with a first code from it and answers the ten recovery codes (shown
 * once). No pending enrollment (none, or already active) is a state conflict, 409, not a bad code.
 */
export function confirmTotpEnrollment({ mfa }: { mfa: Pick<AccountMfa, 'confirmTotp' | 'totp'> }) {
  return async function confirmTotpEnrollment(ctx: Context): Promise<void> {
    const { account } = authOf(ctx);
    const { code } = validateBody(ctx, codeBody);
    const factor = await mfa.totp.find(account.id);
    if (factor?.status !== 'pending')
      throw conflict('no authenticator app is being enrolled; start with POST /api/account/mfa/totp');
    const recoveryCodes = await mfa.confirmTotp(account.id, code);
    if (!recoveryCodes) throw wrongCode();
    ctx.body = { recovery_codes: recoveryCodes };
  };
}

/**
 * Removes the authenticator app, proven by a current code or a recovery code, counted against the
 * account's sign-in lockout like a password: a stolen token alone cannot strip the second factor.
 */
export function removeTotp({ mfa }: { mfa: Pick<AccountMfa, 'removeTotp'> }) {
  return async function removeTotp(ctx: Context): Promise<void> {
    const { account } = authOf(ctx);
    const { code } = validateBody(ctx, codeBody);
    const result = await mfa.removeTotp(account, code);
    if (result === 'not_enrolled') throw notFound('no authenticator app is enrolled');
    if (result !== 'removed') throw result.reason === 'locked' ? locked(result) : wrongCode();
    ctx.status = 204;
  };
}

/** Ten new recovery codes in place of the old ones (all of which stop working). */
export function regenerateRecoveryCodes({ mfa }: { mfa: Pick<AccountMfa, 'regenerateRecoveryCodes'> }) {
  return async function regenerateRecoveryCodes(ctx: Context): Promise<void> {
    const codes = await mfa.regenerateRecoveryCodes(authOf(ctx).account.id);
    if (!codes) throw conflict('the account has no second factor to recover');
    ctx.body = { recovery_codes: codes };
  };
}

/** Removes one of the caller's passkeys; another account's id is as unknown as a made-up one. */
export function removePasskey({ mfa }: { mfa: Pick<AccountMfa, 'removePasskey'> }) {
  return async function removePasskey(ctx: Context): Promise<void> {
    if (!(await mfa.removePasskey(authOf(ctx).account.id, String(ctx.params.id))))
      throw notFound('no such passkey');
    ctx.status = 204;
  };
}
