/**
 * The audit trail of sign-ins (issue 18): `user.signed_in` once a sign-in is complete (every factor
 * shown), `user.sign_in_failed` with the reason, `user.locked` when the throttle locks a name. Shared
 * by the account store, the throttle, the second factors and the grants, so each event has one shape.
 *
 * A failure for an unknown name and for a wrong password is recorded alike (reason
 * `invalid_credentials`, the name as presented, no account id), as the sign-in answers them alike:
 * the trail does not tell which names have accounts. The password or code shown is never recorded.
 */
import { recordAudit } from '../audit/record';
import type { Executor } from '../db/database';
import { isStorableText } from '../db/text';
import { MAX_USERNAME_LENGTH } from './username';

/** How a sign-in was attempted: its first factor, and the client that asked (when one did). */
export interface SignInAttempt {
  /** password | otp | passkey */
  method: string;
  clientId?: string | null;
}

export type SignInFailure = 'invalid_credentials' | 'locked' | 'disabled' | 'second_factor' | 'otp_invalid';

/** The presented name as the trail keeps it: at most 150 characters, and only one it can store. */
export function attemptedName(username: string): string | undefined {
  const name = username.trim().slice(0, MAX_USERNAME_LENGTH);
  return name && isStorableText(name) ? name : undefined;
}

function attemptData(attempt: SignInAttempt): Record<string, unknown> {
  return { method: attempt.method, ...(attempt.clientId ? { client_id: attempt.clientId } : {}) };
}

/** A complete sign-in: the account is the actor and the target; `amr` the methods shown (RFC 8176). */
export async function recordSignedIn(
  db: Executor,
  accountId: string,
  attempt: SignInAttempt & { amr?: readonly string[] },
): Promise<void> {
  await recordAudit(db, {
    type: 'user.signed_in',
    actor: { type: 'account', id: accountId },
    target: { type: 'account', id: accountId },
    data: { ...attemptData(attempt), ...(attempt.amr ? { amr: [...attempt.amr] } : {}) },
  });
}

/**
 * A refused sign-in. `accountId` only where the account is known to the one who tried (the right
 * password was shown: disabled, second factor); otherwise the name presented.
 */
export async function recordSignInFailed(
  db: Executor,
  reason: SignInFailure,
  attempt: SignInAttempt & { username?: string; accountId?: string },
): Promise<void> {
  const username = attempt.username === undefined ? undefined : attemptedName(attempt.username);
  await recordAudit(db, {
    type: 'user.sign_in_failed',
    ...(attempt.accountId ? { target: { type: 'account', id: attempt.accountId } } : {}),
    data: { reason, ...attemptData(attempt), ...(username ? { username } : {}) },
  });
}

/** The throttle locked a name (any name: whether an account has it is not the trail's to tell). */
export async function recordLocked(db: Executor, username: string, until: Date): Promise<void> {
  const name = attemptedName(username);
  await recordAudit(db, {
    type: 'user.locked',
    data: { ...(name ? { username: name } : {}), until: until.toISOString() },
  });
}
