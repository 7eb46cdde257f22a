/**
 * The handlers of /account/mfa: the page (the factors, their forms) and what its forms do. Every
 * post is checked before it arrives here (router.ts: same origin, signed in, the session's form
 * token); what it changes goes through MfaStore. Secrets and recovery codes appear only in the one
 * answer that shows them (the setup, the new codes) and nowhere else: not in a redirect, not in a log.
 */
import type { Context } from 'koa';
import type { MfaStore } from '../../accounts/mfa/store';
import type { TotpEnrollment } from '../../accounts/mfa/totp';
import { GatehouseError, notFound } from '../../errors';
import { bodyOf } from '../../http/body';
import type { RateLimits } from '../../security/rate-limits';
import { requestLanguage } from '../i18n';
import { setRetryAfter } from '../interaction-kit';
import { withinLoginLimit } from '../page-guards';
import { redisplayTotpSetup, totpSetupLocals } from '../totp-setup';
import type { Pages } from '../views';
import { ACCOUNT_PATHS } from './client';
import { FORM_TOKEN_FIELD, formToken } from './csrf';
import { signedIn, type AccountSessionDeps, type SignedIn } from './session';
import { startSignIn, type SignInOptions } from './sign-in';

export interface AccountPageDeps extends AccountSessionDeps, SignInOptions {
  mfa: Pick<
    MfaStore,
    'summary' | 'startTotp' | 'confirmTotp' | 'removeTotp' | 'removePasskey' | 'regenerateRecoveryCodes'
  >;
  pages: Pages;
  /** RATE_LIMIT_LOGIN: the posts that check a code count with the login form's, per source. */
  rateLimits: RateLimits;
  proxy: boolean;
}

/** What a redirect back to the page may announce (`?done=`): a fixed list, never free text. */
const NOTICES = {
  'totp-removed': 'account.notice.totpRemoved',
  'passkey-removed': 'account.notice.passkeyRemoved',
} as const;
type Notice = keyof typeof NOTICES;

type Problem = 'missing' | 'invalid' | 'locked' | 'rateLimited' | 'totpActive' | 'noFactor';

const PROBLEMS: Record<Problem, { status: number; message: string }> = {
  missing: { status: 400, message: 'account.error.codeMissing' },
  invalid: { status: 400, message: 'account.error.codeInvalid' },
  locked: { status: 429, message: 'account.error.locked' },
  rateLimited: { status: 429, message: 'account.error.rateLimited' },
  totpActive: { status: 409, message: 'account.error.totpActive' },
  noFactor: { status: 409, message: 'account.error.noFactor' },
};

/** What the page shows besides the factors: one of these at most. */
interface Shown {
  setup?: TotpEnrollment;
  /** New recovery codes, shown in this answer only. */
  recoveryCodes?: string[];
  /** `setup`: shown on the setup form; `remove`: on the removal form; `page`: at the top. */
  problem?: { kind: Problem; at: 'setup' | 'remove' | 'page' };
  notice?: string;
  enrolled?: boolean;
}

function codeOf(ctx: Context): string {
  const { code } = bodyOf(ctx);
  return typeof code === 'string' ? code.trim() : '';
}

export function createAccountHandlers(deps: AccountPageDeps) {
  const { mfa, pages } = deps;

  async function render(ctx: Context, current: SignedIn, shown: Shown = {}): Promise<void> {
    const language = requestLanguage(pages.catalog, ctx);
    const t = pages.catalog.translator(language);
    const summary = await mfa.summary(current.account.id);
    const date = new Intl.DateTimeFormat(language, { dateStyle: 'medium' });
    const problem = shown.problem ? PROBLEMS[shown.problem.kind] : undefined;
    const message = problem ? t(problem.message) : null;
    const csrfToken = formToken(deps.secretKey, current.session.uid);
    ctx.status = problem?.status ?? 200;
    ctx.type = 'html';
    ctx.body = await pages.render('account-mfa', language, {
      title: t('account.mfa.title'),
      username: current.account.username,
      csrfField: FORM_TOKEN_FIELD,
      csrfToken,
      paths: ACCOUNT_PATHS,
      totp: summary.totp && {
        status: summary.totp.status,
        since: summary.totp.activatedAt ? date.format(summary.totp.activatedAt) : null,
      },
      passkeys: summary.passkeys.map((p) => ({
        name: p.name,
        added: date.format(p.createdAt),
        removeAction: ACCOUNT_PATHS.removePasskey.replace(':id', encodeURIComponent(p.id)),
      })),
      recoveryCodesRemaining: summary.recoveryCodesRemaining,
      hasSecondFactor: summary.totp?.status === 'active' || summary.passkeys.length > 0,
      setup: shown.setup
        ? {
            ...totpSetupLocals(shown.setup),
            action: ACCOUNT_PATHS.confirmTotp,
            codeError: shown.problem?.at === 'setup' ? message : null,
          }
        : null,
      recoveryCodes: shown.recoveryCodes ?? null,
      enrolled: shown.enrolled === true,
      removeError: shown.problem?.at === 'remove' ? message : null,
      pageError: shown.problem?.at === 'page' ? message : null,
      notice: shown.notice ? t(shown.notice) : null,
      // Helper E's registration partial (views/partials/passkey-register.ejs).
      passkeyRegisterAction: ACCOUNT_PATHS.passkeyOptions,
    });
  }

  /** Whether this source may try another code (the login form's limit); answers the page if not. */
  async function withinRateLimit(ctx: Context, retry: () => Promise<void>): Promise<boolean> {
    if (await withinLoginLimit(ctx, deps)) return true;
    await retry();
    return false;
  }

  return {
    /** GET /account/mfa: the page, or the sign-in first. */
    async showMfa(ctx: Context): Promise<void> {
      const current = await signedIn(ctx, deps);
      if (!current) return startSignIn(ctx, deps, ACCOUNT_PATHS.mfa);
      const done = typeof ctx.query.done === 'string' ? ctx.query.done : '';
      const notice = Object.hasOwn(NOTICES, done) ? NOTICES[done as Notice] : undefined;
      await render(ctx, current, notice ? { notice } : {});
    },

    /** POST /account/mfa/totp: a new pending secret, shown as the QR code and in text. */
    async startTotp(ctx: Context, current: SignedIn): Promise<void> {
      const setup = await mfa.startTotp(current.account);
      if (!setup) return render(ctx, current, { problem: { kind: 'totpActive', at: 'page' } });
      await render(ctx, current, { setup });
    },

    /** POST /account/mfa/totp/verify: the first code activates the app; the recovery codes, once. */
    async confirmTotp(ctx: Context, current: SignedIn): Promise<void> {
      // After a refused code, the same setup again (the app has its entry already; totp-setup.ts).
      const again = async (kind: Problem) => {
        const setup = await redisplayTotpSetup(bodyOf(ctx).otpauth_uri);
        await render(
          ctx,
          current,
          setup ? { setup, problem: { kind, at: 'setup' } } : { problem: { kind, at: 'page' } },
        );
      };
      if (!(await withinRateLimit(ctx, () => again('rateLimited')))) return;
      const code = codeOf(ctx);
      if (!code) return again('missing');
      const codes = await mfa.confirmTotp(current.account.id, code);
      if (!codes) return again('invalid');
      await render(ctx, current, { recoveryCodes: codes, enrolled: true });
    },

    /** POST /account/mfa/totp/remove: proven by a current code or a recovery code (lockout-counted). */
    async removeTotp(ctx: Context, current: SignedIn): Promise<void> {
      const problem = (kind: Problem) => render(ctx, current, { problem: { kind, at: 'remove' } });
      if (!(await withinRateLimit(ctx, () => problem('rateLimited')))) return;
      const code = codeOf(ctx);
      if (!code) return problem('missing');
      const outcome = await mfa.removeTotp(current.account, code);
      if (outcome === 'not_enrolled') throw notFound('no authenticator app is set up');
      if (outcome !== 'removed') {
        if (outcome.reason === 'locked') setRetryAfter(ctx, outcome.lockedUntil);
        return problem(outcome.reason === 'locked' ? 'locked' : 'invalid');
      }
      ctx.status = 303;
      ctx.redirect(`${ACCOUNT_PATHS.mfa}?done=totp-removed`);
    },

    /** POST /account/mfa/recovery-codes: ten new codes, the old ones spent; shown once. */
    async regenerateRecoveryCodes(ctx: Context, current: SignedIn): Promise<void> {
      const codes = await mfa.regenerateRecoveryCodes(current.account.id);
      if (!codes) return render(ctx, current, { problem: { kind: 'noFactor', at: 'page' } });
      await render(ctx, current, { recoveryCodes: codes });
    },

    /** POST /account/mfa/passkeys/:id/remove. */
    async removePasskey(ctx: Context, current: SignedIn): Promise<void> {
      const id = ctx.params.id;
      if (!id || id.length > 1024) throw new GatehouseError('invalid_request', 400, 'id: not a passkey id');
      if (!(await mfa.removePasskey(current.account.id, id))) throw notFound('no such passkey');
      ctx.status = 303;
      ctx.redirect(`${ACCOUNT_PATHS.mfa}?done=passkey-removed`);
    },
  };
}

export type AccountHandlers = ReturnType<typeof createAccountHandlers>;
