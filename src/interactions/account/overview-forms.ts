/**
 * The two forms of /account that take typed input: the profile and the password. The profile keeps
 * the rules of PUT /api/profile (accounts/profile-fields.ts): an empty field clears the claim, a
 * changed address is no longer verified and gets a verification link, a changed phone number is no
 * longer verified. The password form proves the current password (counted by the sign-in throttle
 * and the login form's per-source limit) and keeps this browser signed in while every other session,
 * grant and token of the account ends (AccountStore.changePassword).
 */
import type { Context } from 'koa';
import { z } from 'zod';
import { email, locale, ownProfileChange, personName, phoneNumber } from '../../accounts/profile-fields';
import { passwordProblem, PasswordRuleError } from '../../accounts/password-rules';
import { notFound } from '../../errors';
import { bodyOf } from '../../http/body';
import { setRetryAfter } from '../interaction-kit';
import { withinLoginLimit } from '../page-guards';
import { ACCOUNT_PATHS } from './client';
import {
  PROFILE_FIELDS,
  type AccountOverviewDeps,
  type Message,
  type OverviewNotice,
  type OverviewRenderer,
  type PasswordField,
  type ProfileField,
} from './overview-page';
import type { SignedIn } from './session';

const profileForm = z.object({
  given_name: personName.nullable().optional(),
  family_name: personName.nullable().optional(),
  email: email.nullable().optional(),
  phone_number: phoneNumber.nullable().optional(),
  locale: locale.nullable().optional(),
});

/** One message per field, whatever rule it broke: what to type, in the page's language. */
const PROFILE_PROBLEMS: Record<ProfileField, string> = {
  given_name: 'account.profile.error.name',
  family_name: 'account.profile.error.name',
  email: 'account.profile.error.email',
  phone_number: 'account.profile.error.phoneNumber',
  locale: 'account.profile.error.locale',
};

/** A refused value is shown again for correcting, but a flood of junk is not echoed whole. */
const REDISPLAYED_LENGTH = 512;

/** Goes back to the page with a notice from its fixed list (a reload does not post again). */
export function backToOverview(ctx: Context, done?: OverviewNotice): void {
  ctx.status = 303;
  ctx.redirect(done ? `${ACCOUNT_PATHS.root}?done=${done}` : ACCOUNT_PATHS.root);
}

interface ReadProfile {
  /** What the form showed again on a refusal. */
  values: Record<ProfileField, string>;
  errors: Partial<Record<ProfileField, Message>>;
  /** The fields sent: null clears one. */
  input: Partial<Record<ProfileField, string | null>>;
}

/** The form's fields: trimmed, '' as null (cleared), a repeated or missing field left alone. */
function readProfile(ctx: Context, currentValues: (field: ProfileField) => string): ReadProfile {
  const body = bodyOf(ctx);
  const values = {} as Record<ProfileField, string>;
  const errors: Partial<Record<ProfileField, Message>> = {};
  const raw: Record<string, string | null> = {};
  for (const field of PROFILE_FIELDS) {
    const value = body[field];
    if (value === undefined) {
      values[field] = currentValues(field);
      continue;
    }
    if (typeof value !== 'string') {
      values[field] = '';
      errors[field] = { key: PROFILE_PROBLEMS[field] };
      continue;
    }
    const trimmed = value.trim();
    values[field] = trimmed.slice(0, REDISPLAYED_LENGTH);
    raw[field] = trimmed === '' ? null : trimmed;
  }
  const parsed = profileForm.safeParse(raw);
  if (!parsed.success)
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as ProfileField;
      errors[field] ??= { key: PROFILE_PROBLEMS[field] };
    }
  return { values, errors, input: parsed.success ? parsed.data : {} };
}

/** The new password's rules (password-rules.ts), in words beside the field. */
function newPasswordProblem(deps: AccountOverviewDeps, password: string): Message | undefined {
  const policy = deps.accounts.passwordPolicy;
  const problem = passwordProblem(policy, password);
  if (!problem) return undefined;
  const length = [...password].length;
  if (length < policy.minLength)
    return { key: 'account.password.error.tooShort', vars: { min: policy.minLength } };
  if (length > policy.maxLength)
    return { key: 'account.password.error.tooLong', vars: { max: policy.maxLength } };
  return { key: 'account.password.error.notAllowed' };
}

const stringField = (body: Record<string, unknown>, name: string) =>
  typeof body[name] === 'string' ? body[name] : '';

export function createOverviewForms(deps: AccountOverviewDeps, render: OverviewRenderer) {
  const { accounts } = deps;

  async function refusePassword(
    ctx: Context,
    current: SignedIn,
    errors: Partial<Record<PasswordField, Message>>,
    status = 400,
  ): Promise<void> {
    await render(ctx, current, { status, password: { errors } });
  }

  return {
    /** POST /account/profile. */
    async updateProfile(ctx: Context, current: SignedIn): Promise<void> {
      const { account } = current;
      const read = readProfile(ctx, (field) => {
        const stored = {
          given_name: account.givenName,
          family_name: account.familyName,
          email: account.email,
          phone_number: account.phoneNumber,
          locale: account.locale,
        }[field];
        return stored ?? '';
      });
      if (Object.keys(read.errors).length > 0)
        return render(ctx, current, { status: 400, profile: { values: read.values, errors: read.errors } });

      const { input, emailChanged } = ownProfileChange(account, read.input);
      const updated = await accounts.updateProfile(account.id, input);
      if (!updated) throw notFound('the account no longer exists');
      // Never throws; the person sees the notice whether or not the delivery is quick.
      if (emailChanged && updated.email) void deps.emailVerification.request(updated);
      backToOverview(ctx, emailChanged && updated.email ? 'email-changed' : 'profile-saved');
    },

    /** POST /account/password. */
    async changePassword(ctx: Context, current: SignedIn): Promise<void> {
      const body = bodyOf(ctx);
      const currentPassword = stringField(body, 'current_password');
      const newPassword = stringField(body, 'new_password');
      const repeated = stringField(body, 'new_password_repeat');
      const errors: Partial<Record<PasswordField, Message>> = {};
      if (!currentPassword) errors.current_password = { key: 'account.password.error.currentMissing' };
      const problem = newPasswordProblem(deps, newPassword);
      if (problem) errors.new_password = problem;
      else if (repeated !== newPassword)
        errors.new_password_repeat = { key: 'account.password.error.mismatch' };
      if (Object.keys(errors).length > 0) return refusePassword(ctx, current, errors);

      if (!(await withinLoginLimit(ctx, deps)))
        return refusePassword(ctx, current, { current_password: { key: 'account.error.rateLimited' } }, 429);
      let outcome;
      try {
        outcome = await accounts.changePassword(current.account.id, currentPassword, newPassword, {
          sessionUid: current.session.uid,
        });
      } catch (err) {
        // A rule the store checks beyond the page's (they are the same rules today).
        if (err instanceof PasswordRuleError)
          return refusePassword(ctx, current, { new_password: { key: 'account.password.error.notAllowed' } });
        throw err;
      }
      if (!outcome.ok) {
        if (outcome.reason === 'locked') {
          setRetryAfter(ctx, outcome.lockedUntil);
          return refusePassword(
            ctx,
            current,
            { current_password: { key: 'account.password.error.locked' } },
            429,
          );
        }
        return refusePassword(ctx, current, { current_password: { key: 'account.password.error.wrong' } });
      }
      backToOverview(ctx, 'password-changed');
    },
  };
}
