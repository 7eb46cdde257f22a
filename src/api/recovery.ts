/**
 * The recovery routes: POST /api/password-reset, /api/password-reset/confirm and
 * /api/email-verification/confirm. No bearer token: the person has forgotten their password, or
 * holds a link. The reset request answers 202 with one body whatever it was asked, after the
 * limits and before anything is looked up (accounts/password-reset.ts works after the answer).
 */
import type { Context } from 'koa';
import type { PasswordReset, ResetRequest } from '../accounts/password-reset';
import type { EmailVerification } from '../accounts/email-verification';
import { PasswordRuleError } from '../accounts/password-rules';
import { GatehouseError, badRequest } from '../errors';
import { nameKey, type RateLimitKind, type RateLimits } from '../security/rate-limits';
import { sourceOf } from '../security/source';
import {
  emailVerificationConfirmBody,
  passwordResetBody,
  passwordResetConfirmBody,
} from './recovery-schemas';
import { validateBody } from './validation';

const invalidLink = () =>
  badRequest('the link is invalid, expired or already used', {
    token: 'invalid, expired or already used',
  });

/** Counts one request; over the limit, 429 with Retry-After (RFC 6585 §4, RFC 9110 §10.2.3). */
async function refuseOverLimit(limits: RateLimits, kind: RateLimitKind, key: string): Promise<void> {
  const verdict = await limits.consume(kind, key);
  if (verdict.ok) return;
  throw new GatehouseError(
    'too_many_requests',
    429,
    `too many password resets were requested; retry after ${verdict.retryAfterSeconds} s`,
    { headers: { 'Retry-After': String(verdict.retryAfterSeconds) } },
  );
}

/** The per-name limit's key: the name as sign-in folds it, or the lower-cased address. */
export function resetNameKey(who: ResetRequest): string {
  return nameKey(who.username ?? who.email ?? '');
}

export function requestPasswordReset(deps: {
  passwordReset: Pick<PasswordReset, 'request'>;
  rateLimits: RateLimits;
  proxy: boolean;
}) {
  return async function requestPasswordReset(ctx: Context): Promise<void> {
    const body = validateBody(ctx, passwordResetBody);
    const who: ResetRequest =
      body.username !== undefined ? { username: body.username } : { email: body.email! };
    // Both limits count whether or not an account has the name, so neither refusal tells.
    await refuseOverLimit(deps.rateLimits, 'passwordReset', sourceOf(ctx.req, deps.proxy));
    await refuseOverLimit(deps.rateLimits, 'passwordResetName', resetNameKey(who));
    deps.passwordReset.request(who);
    ctx.status = 202;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'accepted' };
  };
}

export function confirmPasswordReset(deps: { passwordReset: Pick<PasswordReset, 'confirm'> }) {
  return async function confirmPasswordReset(ctx: Context): Promise<void> {
    const body = validateBody(ctx, passwordResetConfirmBody);
    let done: boolean;
    try {
      done = await deps.passwordReset.confirm(body.token, body.new_password);
    } catch (err) {
      if (err instanceof PasswordRuleError) throw err.forField('new_password');
      throw err;
    }
    if (!done) throw invalidLink();
    ctx.status = 204;
  };
}

export function confirmEmailVerification(deps: { emailVerification: Pick<EmailVerification, 'verify'> }) {
  return async function confirmEmailVerification(ctx: Context): Promise<void> {
    const body = validateBody(ctx, emailVerificationConfirmBody);
    const outcome = await deps.emailVerification.verify(body.token);
    if (outcome.status === 'invalid') throw invalidLink();
    ctx.status = 204;
  };
}
