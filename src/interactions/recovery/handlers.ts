/**
 * The pages of a forgotten password and of a verification link: /account/forgot (a name or an
 * address, then always the same "check your mail"), /account/reset?token=… (the new password while
 * the link is live) and /account/verify?token=… (spends the link and says what it did). Nobody is
 * signed in here: the link's token is the proof, and the services (accounts/password-reset.ts,
 * accounts/email-verification.ts) decide what it is worth.
 */
import type { Context } from 'koa';
import type { EmailVerification } from '../../accounts/email-verification';
import type { PasswordReset } from '../../accounts/password-reset';
import { PasswordRuleError, type PasswordPolicy } from '../../accounts/password-rules';
import { bodyOf } from '../../http/body';
import { nameKey, type RateLimits } from '../../security/rate-limits';
import { sourceOf } from '../../security/source';
import { ACCOUNT_PATHS } from '../account/client';
import type { Translate } from '../i18n';
import { withinLoginLimit } from '../page-guards';
import { answerPage, type Pages } from '../views';

export interface RecoveryPageDeps {
  passwordReset: Pick<PasswordReset, 'request' | 'confirm' | 'isLive'>;
  emailVerification: Pick<EmailVerification, 'verify'>;
  /** The rules the form states (accounts/password-rules.ts; the store checks them again). */
  passwordPolicy: PasswordPolicy;
  /** PASSWORD_RESET_TTL, for "the link works for N minutes". */
  resetTtlSeconds: number;
  pages: Pages;
  /** RATE_LIMIT_PASSWORD_RESET(_NAME) for /account/forgot; RATE_LIMIT_LOGIN for the reset form. */
  rateLimits: RateLimits;
  proxy: boolean;
}

/** The longest thing the form takes: an address (RFC 5321 §4.5.3.1.3 path, 256 with brackets). */
const MAX_LOGIN_LENGTH = 254;

function field(ctx: Context, name: string): string {
  const value = bodyOf(ctx)[name];
  return typeof value === 'string' ? value : '';
}

/** A page whose URL carries a link's token: it must not travel on in a Referer (RFC 9110 §10.1.3). */
function noReferrer(ctx: Context): void {
  ctx.set('Referrer-Policy', 'no-referrer');
}

export function createRecoveryHandlers(deps: RecoveryPageDeps) {
  const { pages, passwordPolicy } = deps;

  const render = (
    ctx: Context,
    view: string,
    status: number,
    locals: (t: Translate) => Record<string, unknown> & { title: string },
  ) => answerPage(pages, ctx, view, status, locals);

  const forgotForm = (ctx: Context, status: number, login: string, error: string | null) =>
    render(ctx, 'recovery-forgot', status, (t) => ({
      title: t('recovery.forgot.title'),
      action: ACCOUNT_PATHS.forgot,
      signInHref: ACCOUNT_PATHS.root,
      login,
      error: error && t(error),
    }));

  const resetForm = (ctx: Context, status: number, token: string, error: string | null) =>
    render(ctx, 'recovery-reset', status, (t) => ({
      title: t('recovery.reset.title'),
      action: ACCOUNT_PATHS.reset,
      token,
      minLength: passwordPolicy.minLength,
      maxLength: passwordPolicy.maxLength,
      error: error && t(error, { min: passwordPolicy.minLength, max: passwordPolicy.maxLength }),
    }));

  /** "This link does not work", with the way to a new one. 400: the request named a bad link. */
  const invalidResetLink = (ctx: Context) =>
    render(ctx, 'recovery-result', 400, (t) => ({
      title: t('recovery.invalid.title'),
      ok: false,
      message: t('recovery.invalid.reset'),
      note: t('recovery.invalid.resetNote'),
      next: { href: ACCOUNT_PATHS.forgot, label: t('recovery.invalid.newLink') },
    }));

  /** Counts the request against both limits; false (Retry-After set) when either is used up. */
  async function withinResetLimits(ctx: Context, login: string): Promise<boolean> {
    for (const [kind, key] of [
      ['passwordReset', sourceOf(ctx.req, deps.proxy)],
      // Counted whether or not an account has the name, so a refusal tells nothing either.
      ['passwordResetName', nameKey(login)],
    ] as const) {
      const verdict = await deps.rateLimits.consume(kind, key);
      if (!verdict.ok) {
        ctx.set('Retry-After', String(verdict.retryAfterSeconds));
        return false;
      }
    }
    return true;
  }

  return {
    /** GET /account/forgot. */
    async showForgot(ctx: Context): Promise<void> {
      await forgotForm(ctx, 200, '', null);
    },

    /**
     * POST /account/forgot: one field, a username or an address; with an `@` it is tried as both
     * (a username may hold one). The look-up and the mail happen after this answer.
     */
    async requestReset(ctx: Context): Promise<void> {
      const login = field(ctx, 'login').trim().slice(0, MAX_LOGIN_LENGTH);
      if (!login) return forgotForm(ctx, 400, '', 'recovery.forgot.error.missing');
      if (!(await withinResetLimits(ctx, login)))
        return forgotForm(ctx, 429, login, 'recovery.forgot.error.rateLimited');
      deps.passwordReset.request(
        login.includes('@') ? { username: login, email: login } : { username: login },
      );
      await render(ctx, 'recovery-sent', 200, (t) => ({
        title: t('recovery.sent.title'),
        minutes: Math.max(1, Math.round(deps.resetTtlSeconds / 60)),
        signInHref: ACCOUNT_PATHS.root,
      }));
    },

    /** GET /account/reset?token=…: the form while the link is live (looking spends nothing). */
    async showReset(ctx: Context): Promise<void> {
      noReferrer(ctx);
      const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
      if (!(await deps.passwordReset.isLive(token))) return invalidResetLink(ctx);
      await resetForm(ctx, 200, token, null);
    },

    /** POST /account/reset: the new password, twice, and the link's token from the hidden field. */
    async resetPassword(ctx: Context): Promise<void> {
      noReferrer(ctx);
      const token = field(ctx, 'token');
      const password = field(ctx, 'new_password');
      // A live link costs a bcrypt hash: the sign-in posts' limit per source.
      if (!(await withinLoginLimit(ctx, deps)))
        return resetForm(ctx, 429, token, 'recovery.reset.error.rateLimited');
      if (password !== field(ctx, 'repeat_password'))
        return resetForm(ctx, 400, token, 'recovery.reset.error.mismatch');
      let done: boolean;
      try {
        done = await deps.passwordReset.confirm(token, password);
      } catch (err) {
        if (err instanceof PasswordRuleError) return resetForm(ctx, 400, token, 'recovery.reset.error.rules');
        throw err;
      }
      if (!done) return invalidResetLink(ctx);
      await render(ctx, 'recovery-result', 200, (t) => ({
        title: t('recovery.reset.doneTitle'),
        ok: true,
        message: t('recovery.reset.done'),
        note: t('recovery.reset.doneNote'),
        next: { href: ACCOUNT_PATHS.root, label: t('recovery.reset.signIn') },
      }));
    },

    /**
     * GET /account/verify?token=…: spends the link. A link that verified this address before (a
     * second click, a mail scanner that opened it first) shows the same success.
     */
    async verifyEmail(ctx: Context): Promise<void> {
      noReferrer(ctx);
      const outcome = await deps.emailVerification.verify(ctx.query.token);
      const next = (t: Translate) => ({ href: ACCOUNT_PATHS.root, label: t('recovery.verify.account') });
      if (outcome.status === 'invalid')
        return render(ctx, 'recovery-result', 400, (t) => ({
          title: t('recovery.invalid.title'),
          ok: false,
          message: t('recovery.verify.invalid'),
          note: t('recovery.verify.invalidNote'),
          next: next(t),
        }));
      await render(ctx, 'recovery-result', 200, (t) => ({
        title: t('recovery.verify.title'),
        ok: true,
        message: t('recovery.verify.done', { email: outcome.account.email ?? '' }),
        note: null,
        next: next(t),
      }));
    },
  };
}

export type RecoveryHandlers = ReturnType<typeof createRecoveryHandlers>;
