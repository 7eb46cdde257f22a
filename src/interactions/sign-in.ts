/**
 * A sign-in that takes more than one step, inside one login interaction: the password (or a session
 * signed in with one factor, for a step-up) is shown first and held on the interaction as pending; the
 * second factor (an authenticator app's code, a recovery code, a passkey) completes it, and the
 * interaction is finished once, with every method shown (RFC 8176 amr) and the level reached (acr).
 *
 * The login page, the second-factor page and the passkey routes share this module.
 */
import type { Context } from 'koa';
import type { Interaction, Provider } from 'oidc-provider';
import {
  ACR_ONE_FACTOR,
  ACR_TWO_FACTORS,
  reportedAcr,
  rolesRequireSecondFactor,
  signInMethods,
  type Method,
} from '../accounts/mfa/methods';
import type { MfaStore } from '../accounts/mfa/store';
import type { Account, AccountStore } from '../accounts/store';
import { holdInteractionState } from '../oidc/internals';

/** How long a shown first factor waits for the second. */
export const PENDING_TTL_SECONDS = 10 * 60;

const PENDING_KEY = 'gatehouse_pending';

export interface PendingSignIn {
  accountId: string;
  /** The methods shown so far. */
  methods: Method[];
  /** Epoch seconds. */
  expiresAt: number;
}

/** The sign-in waiting for its second factor on this interaction, or null. */
export function pendingSignIn(interaction: Interaction): PendingSignIn | null {
  const held = (interaction.result as Record<string, unknown> | undefined)?.[PENDING_KEY] as
    PendingSignIn | undefined;
  if (!held || typeof held.accountId !== 'string' || !Array.isArray(held.methods)) return null;
  return held.expiresAt > Math.floor(Date.now() / 1000) ? held : null;
}

/** Holds a shown first factor on the interaction until the second completes it. */
export async function holdPendingSignIn(
  interaction: Interaction,
  accountId: string,
  methods: Method[],
): Promise<void> {
  const pending: PendingSignIn = {
    accountId,
    methods,
    expiresAt: Math.floor(Date.now() / 1000) + PENDING_TTL_SECONDS,
  };
  await holdInteractionState(interaction, { [PENDING_KEY]: pending });
}

/** The acr values the request asked for: `acr_values`, and the `acr` claim's value(s) of `claims`. */
export function requestedAcrs(interaction: Interaction): string[] {
  const params = interaction.params as Record<string, unknown>;
  const values = typeof params.acr_values === 'string' ? params.acr_values.split(' ').filter(Boolean) : [];
  try {
    const claims = typeof params.claims === 'string' ? JSON.parse(params.claims) : undefined;
    const acr = claims?.id_token?.acr;
    if (typeof acr?.value === 'string') values.push(acr.value);
    if (Array.isArray(acr?.values)) values.push(...acr.values.filter((v: unknown) => typeof v === 'string'));
  } catch {
    // The library validated `claims` before the interaction began; nothing else to read here.
  }
  return [...new Set(values)];
}

/**
 * Whether this request wants a two-factor sign-in: it asks for `urn:gatehouse:acr:mfa` (acr_values or
 * the acr claim) and not also for one factor, or the account's roles require it (MFA_REQUIRED_ROLES).
 */
export function stepUpRequested(interaction: Interaction): boolean {
  const acrs = requestedAcrs(interaction);
  if (acrs.includes(ACR_TWO_FACTORS) && !acrs.includes(ACR_ONE_FACTOR)) return true;
  return interaction.prompt.reasons.includes('mfa_required_role');
}

export interface SecondFactorPolicy {
  mfa: Pick<MfaStore, 'hasSecondFactor'>;
  /** MFA_REQUIRED_ROLES. */
  requiredRoles: readonly string[];
}

/**
 * What the account must still show after its first factor: nothing, its second factor, or (no
 * factor yet, but one is required or requested) an enrollment first.
 */
export async function secondFactorStep(
  policy: SecondFactorPolicy,
  account: Pick<Account, 'id' | 'roles'>,
  interaction: Interaction,
): Promise<'none' | 'verify' | 'enroll'> {
  const has = await policy.mfa.hasSecondFactor(account.id);
  if (has) return 'verify';
  const required =
    rolesRequireSecondFactor(account.roles, policy.requiredRoles) || stepUpRequested(interaction);
  return required ? 'enroll' : 'none';
}

/** Where a complete sign-in is recorded (AccountStore: last_login_at and the audit trail). */
export type SignInTrail = Pick<AccountStore, 'recordSignedIn'>;

/** The audit trail's name of a sign-in's first factor (RFC 8176 methods in, a plain word out). */
export function firstFactorName(methods: readonly Method[]): string {
  if (methods.includes('pwd')) return 'password';
  if (methods.some((m) => m === 'hwk' || m === 'swk' || m === 'user')) return 'passkey';
  return methods.includes('otp') ? 'otp' : 'password';
}

/** The client that asked for the interaction's sign-in. */
export function interactionClientId(interaction: Interaction): string | null {
  const clientId = (interaction.params as Record<string, unknown>).client_id;
  return typeof clientId === 'string' ? clientId : null;
}

/** Finishes the login with every method shown; answers with the provider's next step (303). */
export async function finishSignIn(
  provider: Provider,
  ctx: Context,
  interaction: Interaction,
  accountId: string,
  methods: Method[],
  trail: SignInTrail,
): Promise<void> {
  const returnTo = await signInResult(provider, ctx, interaction, accountId, methods, trail);
  ctx.status = 303;
  ctx.redirect(returnTo);
}

/**
 * Finishes the login like `finishSignIn`, for a script's fetch() (the passkey ceremonies): returns the
 * provider's next step instead of redirecting, and the script navigates there.
 */
export async function signInResult(
  provider: Provider,
  ctx: Context,
  interaction: Interaction,
  accountId: string,
  methods: Method[],
  trail: SignInTrail,
): Promise<string> {
  const { amr, acr } = signInMethods(methods);
  const returnTo = await provider.interactionResult(
    ctx.req,
    ctx.res,
    { login: { accountId, amr, acr: reportedAcr(acr, requestedAcrs(interaction)) } },
    // A login replaces whatever an earlier submission of this interaction said.
    { mergeWithLastSubmission: false },
  );
  // Once the interaction holds the login: every factor is shown, the sign-in is complete.
  await trail.recordSignedIn(accountId, {
    method: firstFactorName(methods),
    clientId: interactionClientId(interaction),
    amr,
  });
  return returnTo;
}
