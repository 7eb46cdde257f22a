/**
 * The second step of a sign-in, inside the login interaction (oidc-provider's maintainer's advice:
 * one login interaction, finished once with every method in `amr`): after a correct password, an
 * account with a second factor is asked for its code (an authenticator app's, RFC 6238, or a
 * recovery code), and an account without one, when one is required (MFA_REQUIRED_ROLES) or
 * requested (step-up), enrolls an authenticator app first (enrollment.ts).
 *
 * Step-up (OpenID Connect Core §3.1.2.1 `acr_values`, §5.5.1.1 an essential `acr` claim): a session
 * signed in with one factor whose only reasons to prompt are step-up reasons (src/oidc/step-up.ts) is
 * asked for the second factor alone; its first factor (the session's amr) is kept.
 *
 * Wrong codes count towards the sign-in lockout of the name (MfaStore.verifyCode), and the posts
 * count towards RATE_LIMIT_LOGIN like the login form's.
 */
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Interaction, Provider } from 'oidc-provider';
import { signInMethods, isMultiFactor, type Method } from '../accounts/mfa/methods';
import type { MfaStore } from '../accounts/mfa/store';
import type { Account, AccountStore } from '../accounts/store';
import { bodyOf } from '../http/body';
import { INTERACTION_PATH } from '../oidc/provider';
import { STEP_UP_REASONS } from '../oidc/step-up';
import type { RateLimits } from '../security/rate-limits';
import { createEnrollment, finishWithOtp, type Pending } from './enrollment';
import { setRetryAfter, stepUrl, type InteractionKit } from './interaction-kit';
import { withinLoginLimit } from './page-guards';
import {
  finishSignIn,
  firstFactorName,
  holdPendingSignIn,
  interactionClientId,
  pendingSignIn,
  secondFactorStep,
} from './sign-in';

export interface SecondFactorDeps {
  provider: Provider;
  accounts: Pick<AccountStore, 'findById' | 'recordSignedIn'>;
  mfa: Pick<MfaStore, 'hasSecondFactor' | 'verifyCode' | 'startTotp' | 'confirmTotp' | 'passkeys'>;
  /** MFA_REQUIRED_ROLES. */
  mfaRequiredRoles: readonly string[];
  /** RATE_LIMIT_LOGIN: the code posts count like the login form's. */
  rateLimits: RateLimits;
  /** PROXY: the source is the last X-Forwarded-For entry. */
  proxy: boolean;
}

export interface SecondFactor {
  /** After a correct password: finish the sign-in, or hold it and show the second step. */
  afterPassword(
    ctx: Context,
    interaction: Interaction,
    account: Pick<Account, 'id' | 'roles'>,
  ): Promise<void>;
  /**
   * For a login prompt: shows the second step of a pending sign-in, or starts one for a step-up of the
   * session's account. False when the password is what is needed (the login page).
   */
  showSecondStep(ctx: Context, interaction: Interaction): Promise<boolean>;
  /** Adds the posts of the second step (and of enrollment), behind the router's form-post chain. */
  register(router: Router, post: readonly Middleware[]): void;
}

type CodeProblem = 'missing' | 'invalid' | 'locked' | 'rate_limited';

const CODE_PROBLEMS: Record<CodeProblem, { status: number; message: string }> = {
  missing: { status: 400, message: 'mfa.error.missing' },
  invalid: { status: 401, message: 'mfa.error.invalid' },
  locked: { status: 429, message: 'mfa.error.locked' },
  rate_limited: { status: 429, message: 'mfa.error.rateLimited' },
};

const FIRST_FACTORS: readonly Method[] = ['pwd', 'otp', 'hwk', 'swk', 'user'];

/** The methods a session signed in with (its amr without `mfa`), a password when it says none. */
export function sessionMethods(amr: readonly string[] | undefined): Method[] {
  const methods = (amr ?? []).filter((m): m is Method => FIRST_FACTORS.includes(m as Method));
  return methods.length ? methods : ['pwd'];
}

/** Whether the prompt is only there for a second factor (the session's account stays signed in). */
function onlyStepUp(interaction: Interaction): boolean {
  const { reasons } = interaction.prompt;
  return reasons.length > 0 && reasons.every((reason) => STEP_UP_REASONS.includes(reason));
}

export function createSecondFactor(deps: SecondFactorDeps, kit: InteractionKit): SecondFactor {
  const { provider, accounts, mfa } = deps;
  const policy = { mfa, requiredRoles: deps.mfaRequiredRoles };
  const enrollment = createEnrollment(deps, kit);

  async function usableAccount(accountId: string): Promise<Account | null> {
    const account = await accounts.findById(accountId);
    return account && !account.disabled ? account : null;
  }

  async function pendingOf(interaction: Interaction): Promise<Pending | null> {
    const pending = pendingSignIn(interaction);
    const account = pending ? await usableAccount(pending.accountId) : null;
    return pending && account ? { pending, account } : null;
  }

  async function renderCodePage(
    ctx: Context,
    interaction: Interaction,
    account: Account,
    problem?: CodeProblem,
  ): Promise<void> {
    const t = kit.translator(ctx);
    const shown = problem ? CODE_PROBLEMS[problem] : undefined;
    const passkeys = await mfa.passkeys(account.id);
    await kit.render(ctx, 'second-factor', shown?.status ?? 200, {
      title: t('mfa.title'),
      client: await kit.clientName(interaction),
      action: stepUrl(interaction.uid, 'mfa'),
      abortAction: stepUrl(interaction.uid, 'abort'),
      error: shown ? t(shown.message) : null,
      // The passkey button (helper partial views/partials/passkey-second-factor.ejs) only for an
      // account that has one.
      passkeyOptionsAction: passkeys.length
        ? stepUrl(interaction.uid, 'passkey/second-factor/options')
        : null,
    });
  }

  /** The second step for a pending sign-in: its code, its enrollment, or (enrolled) continuing. */
  async function showStep(ctx: Context, interaction: Interaction, { pending, account }: Pending) {
    if (isMultiFactor(signInMethods(pending.methods).amr))
      return enrollment.renderEnrolled(ctx, interaction, null);
    if (await mfa.hasSecondFactor(account.id)) return renderCodePage(ctx, interaction, account);
    return enrollment.renderSetup(ctx, interaction, account);
  }

  async function afterPassword(
    ctx: Context,
    interaction: Interaction,
    account: Pick<Account, 'id' | 'roles'>,
  ) {
    const step = await secondFactorStep(policy, account, interaction);
    if (step === 'none') return finishSignIn(provider, ctx, interaction, account.id, ['pwd'], accounts);
    await holdPendingSignIn(interaction, account.id, ['pwd']);
    // The second step is shown by the interaction's own URL, so a reload shows it again.
    kit.backToCurrentStep(ctx, interaction);
  }

  async function showSecondStep(ctx: Context, interaction: Interaction): Promise<boolean> {
    const held = await pendingOf(interaction);
    if (held) {
      await showStep(ctx, interaction, held);
      return true;
    }
    const accountId = interaction.session?.accountId;
    if (!accountId || !onlyStepUp(interaction)) return false;
    const account = await usableAccount(accountId);
    if (!account || (await secondFactorStep(policy, account, interaction)) === 'none') return false;
    const methods = sessionMethods(interaction.session?.amr);
    await holdPendingSignIn(interaction, account.id, methods);
    const pending = pendingSignIn(interaction);
    if (!pending) return false;
    await showStep(ctx, interaction, { pending, account });
    return true;
  }

  function register(router: Router, post: readonly Middleware[]): void {
    router.post(
      'submitSecondFactor',
      `${INTERACTION_PATH}/:uid/mfa`,
      ...post,
      async function submitSecondFactor(ctx) {
        const interaction = await kit.loadInteraction(ctx);
        if (interaction.prompt.name !== 'login') return kit.backToCurrentStep(ctx, interaction);
        const held = await pendingOf(interaction);
        // No password shown (or shown too long ago): the login page.
        if (!held) return kit.backToCurrentStep(ctx, interaction);
        // Counted before anything else: a refused post costs no code check and no lockout count.
        if (!(await withinLoginLimit(ctx, deps)))
          return renderCodePage(ctx, interaction, held.account, 'rate_limited');
        const body = bodyOf(ctx);
        const code = typeof body.otp === 'string' ? body.otp.trim() : '';
        if (!code) return renderCodePage(ctx, interaction, held.account, 'missing');
        // A wrong code is recorded as a refused sign-in (user.sign_in_failed, second_factor).
        const verified = await mfa.verifyCode(held.account, code, {
          method: firstFactorName(held.pending.methods),
          clientId: interactionClientId(interaction),
        });
        if (!verified.ok) {
          if (verified.reason === 'locked') setRetryAfter(ctx, verified.lockedUntil);
          return renderCodePage(
            ctx,
            interaction,
            held.account,
            verified.reason === 'locked' ? 'locked' : 'invalid',
          );
        }
        await finishWithOtp(provider, ctx, interaction, held, accounts);
      },
    );
    enrollment.register(router, post, pendingOf);
  }

  return { afterPassword, showSecondStep, register };
}
