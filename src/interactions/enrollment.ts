/**
 * Enrollment inside the login: an account without a second factor, when one is required
 * (MFA_REQUIRED_ROLES) or requested (step-up), sets up an authenticator app before the sign-in
 * finishes. The page shows the QR code and the secret (MfaStore.startTotp, a new pending secret each
 * time it is shown fresh), the first code activates the factor (MfaStore.confirmTotp) and the ten
 * recovery codes are shown once; "Continue" finishes the sign-in with both factors.
 *
 * The activated factor is recorded on the pending sign-in (its methods gain `otp`), so "Continue"
 * cannot be posted by someone who only showed the password.
 */
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Interaction, Provider } from 'oidc-provider';
import { isMultiFactor, signInMethods } from '../accounts/mfa/methods';
import type { MfaStore } from '../accounts/mfa/store';
import type { Account } from '../accounts/store';
import { bodyOf } from '../http/body';
import { INTERACTION_PATH } from '../oidc/provider';
import type { RateLimits } from '../security/rate-limits';
import { stepUrl, type InteractionKit } from './interaction-kit';
import { withinLoginLimit } from './page-guards';
import { finishSignIn, holdPendingSignIn, type PendingSignIn, type SignInTrail } from './sign-in';
import { redisplayTotpSetup, totpSetupLocals } from './totp-setup';
import type { TotpEnrollment } from '../accounts/mfa/totp';

/** A pending sign-in whose account can still sign in. */
export interface Pending {
  pending: PendingSignIn;
  account: Account;
}

/**
 * Finishes a pending sign-in with its second factor shown: RFC 8176 `otp` for an authenticator
 * app's code, a recovery code and a newly enrolled app's first code alike (all one-time passwords).
 */
export function finishWithOtp(
  provider: Provider,
  ctx: Context,
  interaction: Interaction,
  held: Pending,
  trail: SignInTrail,
): Promise<void> {
  return finishSignIn(provider, ctx, interaction, held.account.id, [...held.pending.methods, 'otp'], trail);
}

export interface EnrollmentDeps {
  provider: Provider;
  /** Where the sign-in the enrollment completes is recorded. */
  accounts: SignInTrail;
  mfa: Pick<MfaStore, 'startTotp' | 'confirmTotp'>;
  rateLimits: RateLimits;
  proxy: boolean;
}

type SetupProblem = 'missing' | 'invalid' | 'rate_limited';

const SETUP_PROBLEMS: Record<SetupProblem, { status: number; message: string }> = {
  missing: { status: 400, message: 'mfa.enroll.error.missing' },
  invalid: { status: 400, message: 'mfa.enroll.error.invalid' },
  rate_limited: { status: 429, message: 'mfa.error.rateLimited' },
};

export interface Enrollment {
  /** The setup page with a new pending secret; the code page's URL when a factor is active already. */
  renderSetup(ctx: Context, interaction: Interaction, account: Account): Promise<void>;
  /** The page after activation: the recovery codes once (null: shown already) and "Continue". */
  renderEnrolled(ctx: Context, interaction: Interaction, codes: string[] | null): Promise<void>;
  register(
    router: Router,
    post: readonly Middleware[],
    pendingOf: (interaction: Interaction) => Promise<Pending | null>,
  ): void;
}

export function createEnrollment(deps: EnrollmentDeps, kit: InteractionKit): Enrollment {
  const { provider, mfa } = deps;

  async function renderPage(
    ctx: Context,
    interaction: Interaction,
    setup: TotpEnrollment,
    problem?: SetupProblem,
  ): Promise<void> {
    const t = kit.translator(ctx);
    const shown = problem ? SETUP_PROBLEMS[problem] : undefined;
    await kit.render(ctx, 'enroll', shown?.status ?? 200, {
      title: t('mfa.enroll.title'),
      client: await kit.clientName(interaction),
      action: stepUrl(interaction.uid, 'enroll'),
      abortAction: stepUrl(interaction.uid, 'abort'),
      ...totpSetupLocals(setup),
      codeError: shown ? t(shown.message) : null,
    });
  }

  async function renderSetup(ctx: Context, interaction: Interaction, account: Account): Promise<void> {
    const setup = await mfa.startTotp(account);
    // An authenticator app is active already (enrolled elsewhere meanwhile): its code is asked for.
    if (!setup) return kit.backToCurrentStep(ctx, interaction);
    await renderPage(ctx, interaction, setup);
  }

  async function renderEnrolled(ctx: Context, interaction: Interaction, codes: string[] | null) {
    const t = kit.translator(ctx);
    await kit.render(ctx, 'recovery-codes', 200, {
      title: t('mfa.recovery.title'),
      codes,
      action: stepUrl(interaction.uid, 'enroll/done'),
    });
  }

  function register(
    router: Router,
    post: readonly Middleware[],
    pendingOf: (interaction: Interaction) => Promise<Pending | null>,
  ): void {
    router.post(
      'submitEnrollment',
      `${INTERACTION_PATH}/:uid/enroll`,
      ...post,
      async function submitEnrollment(ctx) {
        const interaction = await kit.loadInteraction(ctx);
        if (interaction.prompt.name !== 'login') return kit.backToCurrentStep(ctx, interaction);
        const held = await pendingOf(interaction);
        if (!held) return kit.backToCurrentStep(ctx, interaction);
        const body = bodyOf(ctx);
        // The same setup again after a refused code (the app has its entry already); a new one if the
        // form did not carry it.
        const again = async (problem: SetupProblem) => {
          const setup = await redisplayTotpSetup(body.otpauth_uri);
          return setup
            ? renderPage(ctx, interaction, setup, problem)
            : renderSetup(ctx, interaction, held.account);
        };
        if (!(await withinLoginLimit(ctx, deps))) return again('rate_limited');
        const code = typeof body.code === 'string' ? body.code.trim() : '';
        if (!code) return again('missing');
        const codes = await mfa.confirmTotp(held.account.id, code);
        if (!codes) return again('invalid');
        await holdPendingSignIn(interaction, held.account.id, [...held.pending.methods, 'otp']);
        await renderEnrolled(ctx, interaction, codes);
      },
    );

    router.post(
      'finishEnrollment',
      `${INTERACTION_PATH}/:uid/enroll/done`,
      ...post,
      async function finishEnrollment(ctx) {
        const interaction = await kit.loadInteraction(ctx);
        if (interaction.prompt.name !== 'login') return kit.backToCurrentStep(ctx, interaction);
        const held = await pendingOf(interaction);
        // Only after the first code activated the factor on this interaction.
        if (!held || !isMultiFactor(signInMethods(held.pending.methods).amr))
          return kit.backToCurrentStep(ctx, interaction);
        await finishWithOtp(provider, ctx, interaction, held, deps.accounts);
      },
    );
  }

  return { renderSetup, renderEnrolled, register };
}
