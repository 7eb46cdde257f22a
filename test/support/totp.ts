/**
 * The authenticator app in the tests (RFC 6238 TOTP: six digits, 30-second steps, otplib's defaults
 * as Gatehouse's): the code of a step near now, a code the verification window (one step either
 * side) does not accept, and an app enrolled through the second-factor store as the API enrolls it.
 */
import { generate } from 'otplib';
import type { MfaStore } from '../../src/accounts/mfa/store';

const now = () => Math.floor(Date.now() / 1000);

/** The app's code for the step `offset` steps from now (30 s each). */
export const codeAt = (secret: string, offset = 0) => generate({ secret, epoch: now() + offset * 30 });

/** A six-digit code that is none of the app's codes within the window. */
export async function wrongCode(secret: string): Promise<string> {
  const window = await Promise.all([-1, 0, 1].map((offset) => codeAt(secret, offset)));
  return ['000000', '111111', '222222', '333333'].find((code) => !window.includes(code))!;
}

/**
 * An active authenticator app for `account`, confirmed with the current step's code: its secret,
 * the recovery codes the confirmation gave, and `next()`, the next step's code (within the window,
 * and not the one the enrollment used).
 */
export async function enrollTotp(mfa: MfaStore, account: { id: string; username: string }) {
  const { secret } = (await mfa.startTotp(account))!;
  const recoveryCodes = (await mfa.confirmTotp(account.id, await codeAt(secret)))!;
  return { secret, recoveryCodes, next: () => codeAt(secret, 1) };
}
