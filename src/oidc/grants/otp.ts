/**
 * The one-time-code grant: `username` and a code from /api/request-otp exchanged for tokens, with the
 * same responses and errors as the password grant. The library has authenticated the client and
 * checked that it lists this grant before this runs.
 */
import { signInMethods } from '../../accounts/mfa/methods';
import { errors, type KoaContextWithOIDC, type Provider } from 'oidc-provider';
import type { OtpStore } from '../../accounts/otp';
import type { AccountStore } from '../../accounts/store';
import { grantedScopes, issueTokensForAccount } from './issue';
import { OTP_GRANT } from './names';
import { requireParams } from './params';
import { refuseOverTokenLimit, type GrantLimits } from './rate-limit';

export const grantType = OTP_GRANT;

export const parameters = ['username', 'otp', 'scope'];

/** The audit trail's refusal reason for each of the code's (the code itself is never recorded). */
const FAILURES = { invalid_code: 'otp_invalid', locked: 'locked', disabled: 'disabled' } as const;

export function createHandler(
  provider: Provider,
  otps: OtpStore,
  accounts: Pick<AccountStore, 'recordSignedIn' | 'recordSignInFailure'>,
  scopes: ReadonlySet<string>,
  limits: GrantLimits,
) {
  return async function otpGrantHandler(ctx: KoaContextWithOIDC): Promise<void> {
    await refuseOverTokenLimit(ctx, limits);
    const { username, otp } = requireParams(ctx, ['username', 'otp']);
    const attempt = { method: 'otp', clientId: ctx.oidc.client?.clientId ?? null };
    const result = await otps.authenticate(username, otp);
    if (!result.ok) {
      await accounts.recordSignInFailure(FAILURES[result.reason], { ...attempt, username });
      // Unknown user, wrong, expired or used code, locked and disabled: one answer.
      throw new errors.InvalidGrant(`one-time code refused (${result.reason})`);
    }
    // A delivered code is one factor (whoever reads the mailbox has it).
    const signIn = signInMethods(['otp']);
    await issueTokensForAccount(ctx, provider, result.account, {
      gty: grantType,
      signIn,
      scopes: grantedScopes(ctx, scopes, result.account),
    });
    await accounts.recordSignedIn(result.account.id, { ...attempt, amr: signIn.amr });
  };
}
