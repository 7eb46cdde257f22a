/**
 * The sign-up and invitation pages (accounts/registration.ts does the work): the forms, the "check
 * your mail" page, and the pages a link opens. Field errors are shown beside their fields (400, or
 * 409 for a taken name on the invitation form); every post counts against RATE_LIMIT_REGISTRATION
 * per source first, and over it the form comes back with 429 and Retry-After.
 */
import type { Context } from 'koa';
import type { PasswordPolicy } from '../../accounts/password-rules';
import {
  RegistrationInputError,
  type FieldProblem,
  type Registration,
  type RegistrationField,
} from '../../accounts/registration';
import { MAX_USERNAME_LENGTH } from '../../accounts/username';
import { bodyOf } from '../../http/body';
import type { RateLimits } from '../../security/rate-limits';
import { sourceOf } from '../../security/source';
import type { Translate } from '../i18n';
import { answerPage, type Pages } from '../views';
import { ACCOUNT_PATHS } from '../account/client';

export interface RegistrationPageDeps {
  registration: Pick<Registration, 'signUp' | 'completeSignUp' | 'findInvitation' | 'acceptInvitation'>;
  pages: Pages;
  /** RATE_LIMIT_REGISTRATION: sign-up and invitation posts per source. */
  rateLimits: RateLimits;
  /** PROXY: the source is the last X-Forwarded-For entry. */
  proxy: boolean;
  /** The password rules, for the form's hint and length bounds. */
  passwordPolicy: PasswordPolicy;
  /** EMAIL_VERIFICATION_TTL: how long the sign-up link works, for the "check your mail" page. */
  signUpLinkTtlSeconds: number;
}

type FieldErrors = Partial<Record<RegistrationField, string>>;

/** The form's fields as typed (never the password), for showing the form again. */
interface Typed {
  username: string;
  email: string;
}

function typedOf(body: Record<string, unknown>): Typed {
  const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string).trim() : '');
  return { username: field('username'), email: field('email') };
}

function tokenOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export function createRegistrationHandlers(deps: RegistrationPageDeps) {
  const { pages, registration, passwordPolicy } = deps;

  const render = (
    ctx: Context,
    view: string,
    status: number,
    locals: (t: Translate) => Record<string, unknown> & { title: string },
  ) => answerPage(pages, ctx, view, status, locals);

  function fieldErrors(
    t: Translate,
    problems: Partial<Record<RegistrationField, FieldProblem>>,
  ): FieldErrors {
    const vars = { min: passwordPolicy.minLength, max: passwordPolicy.maxLength };
    return Object.fromEntries(
      Object.entries(problems).map(([field, problem]) => [
        field,
        t(`registration.error.${field}.${problem}`, vars),
      ]),
    );
  }

  /** The locals both forms share: the fields' bounds and hints, and what was wrong with a post. */
  function formLocals(
    t: Translate,
    shown: { problems?: Partial<Record<RegistrationField, FieldProblem>>; error?: string },
  ) {
    const errors = fieldErrors(t, shown.problems ?? {});
    const formError = Object.keys(errors).length ? t('registration.error.form') : null;
    return {
      usernameMaxLength: MAX_USERNAME_LENGTH,
      passwordMinLength: passwordPolicy.minLength,
      passwordMaxLength: passwordPolicy.maxLength,
      passwordHint: t('registration.field.passwordHint', { min: passwordPolicy.minLength }),
      errors,
      error: shown.error ? t(shown.error) : formError,
    };
  }

  async function renderRegister(
    ctx: Context,
    status: number,
    shown: {
      typed?: Typed;
      problems?: Partial<Record<RegistrationField, FieldProblem>>;
      error?: string;
    } = {},
  ): Promise<void> {
    await render(ctx, 'register', status, (t) => ({
      title: t('registration.register.title'),
      action: ACCOUNT_PATHS.register,
      ...formLocals(t, shown),
      username: shown.typed?.username ?? '',
      email: shown.typed?.email ?? '',
    }));
  }

  async function renderInvitation(
    ctx: Context,
    status: number,
    invitation: { email: string; token: string },
    shown: {
      username?: string;
      problems?: Partial<Record<RegistrationField, FieldProblem>>;
      error?: string;
    } = {},
  ): Promise<void> {
    await render(ctx, 'invitation', status, (t) => ({
      title: t('registration.invitation.title'),
      action: ACCOUNT_PATHS.invitation,
      ...formLocals(t, shown),
      invitedEmail: invitation.email,
      token: invitation.token,
      username: shown.username ?? '',
    }));
  }

  type Outcome = 'done' | 'invalid' | 'taken';
  const OUTCOME_STATUS: Record<Outcome, number> = { done: 200, invalid: 404, taken: 409 };

  async function renderResult(ctx: Context, outcome: Outcome, username?: string): Promise<void> {
    await render(ctx, 'registration-result', OUTCOME_STATUS[outcome], (t) => ({
      title: t(`registration.${outcome}.title`),
      lead: t(`registration.${outcome}.lead`, { username: username ?? '' }),
      outcome,
      accountPath: ACCOUNT_PATHS.root,
      registerPath: ACCOUNT_PATHS.register,
    }));
  }

  /** Counts the post against the per-source limit; false (with Retry-After) when over it. */
  async function withinLimit(ctx: Context): Promise<boolean> {
    const limit = await deps.rateLimits.consume('registration', sourceOf(ctx.req, deps.proxy));
    if (!limit.ok) ctx.set('Retry-After', String(limit.retryAfterSeconds));
    return limit.ok;
  }

  return {
    /** GET /account/register: the sign-up form. */
    async showRegister(ctx: Context): Promise<void> {
      await renderRegister(ctx, 200);
    },

    /** POST /account/register: "check your mail", whether or not the name was free. */
    async register(ctx: Context): Promise<void> {
      const body = bodyOf(ctx);
      const typed = typedOf(body);
      if (!(await withinLimit(ctx)))
        return renderRegister(ctx, 429, { typed, error: 'registration.error.rateLimited' });
      try {
        const { email } = await registration.signUp(body);
        const hours = Math.max(1, Math.round(deps.signUpLinkTtlSeconds / 3600));
        await render(ctx, 'register-sent', 200, (t) => ({
          title: t('registration.sent.title'),
          lead: t('registration.sent.lead', { email, hours }),
        }));
      } catch (err) {
        if (err instanceof RegistrationInputError)
          return renderRegister(ctx, err.status, { typed, problems: err.problems });
        throw err;
      }
    },

    /** GET /account/register/verify?token=…: the account, created as the link is spent. */
    async verify(ctx: Context): Promise<void> {
      const done = await registration.completeSignUp(ctx.query.token);
      if (done.ok) return renderResult(ctx, 'done', done.account.username);
      return renderResult(ctx, done.reason === 'username_taken' ? 'taken' : 'invalid');
    },

    /** GET /account/invitation?token=…: the form, for a live invitation only. */
    async showInvitation(ctx: Context): Promise<void> {
      const token = tokenOf(ctx.query.token);
      const invitation = await registration.findInvitation(token);
      if (!invitation) return renderResult(ctx, 'invalid');
      await renderInvitation(ctx, 200, { email: invitation.email, token });
    },

    /** POST /account/invitation: the account, created as the invitation is spent. */
    async acceptInvitation(ctx: Context): Promise<void> {
      const body = bodyOf(ctx);
      const token = tokenOf(body.token);
      const username = typedOf(body).username;
      const invitation = await registration.findInvitation(token);
      if (!invitation) return renderResult(ctx, 'invalid');
      const shown = { email: invitation.email, token };
      if (!(await withinLimit(ctx)))
        return renderInvitation(ctx, 429, shown, { username, error: 'registration.error.rateLimited' });
      try {
        const done = await registration.acceptInvitation(token, body);
        if (done.ok) return renderResult(ctx, 'done', done.account.username);
        return renderResult(ctx, 'invalid');
      } catch (err) {
        if (err instanceof RegistrationInputError)
          return renderInvitation(ctx, err.status, shown, { username, problems: err.problems });
        throw err;
      }
    },
  };
}

export type RegistrationHandlers = ReturnType<typeof createRegistrationHandlers>;
