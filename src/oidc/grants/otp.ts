/**
 * The one-time-code grant: `username` and a code from /api/request-otp exchanged for tokens, with the
 * same responses and errors as the password grant. The library has authenticated the client and
 * checked that it lists this grant before this runs.
 */
import { signInMethods } from '../../accounts/mfa/methods';
import { errors, type KoaContextWithOIDC, type Provider } from 'oidc-provider';
import type { OtpStore } from '../../accounts/otp';
import { grantedScopes, issueTokensForAccount } from './issue';
import { OTP_GRANT } from './names';
import { requireParams } from './params';
import { refuseOverTokenLimit, type GrantLimits } from './rate-limit';

export const grantType = OTP_GRANT;

export const parameters = ['username', 'otp', 'scope'];

export function createHandler(
  provider: Provider,
  otps: OtpStore,
  scopes: ReadonlySet<string>,
  limits: GrantLimits,
) {
  return async function otpGrantHandler(ctx: KoaContextWithOIDC): Promise<void> {
    await refuseOverTokenLimit(ctx, limits);
    const { username, otp } = requireParams(ctx, ['username', 'otp']);
    const result = await otps.authenticate(username, otp);
    if (!result.ok) {
      // Unknown user, wrong, expired or used code, locked and disabled: one answer.
      throw new errors.InvalidGrant(`one-time code refused (${result.reason})`);
    }
    await issueTokensForAccount(ctx, provider, result.account, {
      gty: grantType,
      // A delivered code is one factor (whoever reads the mailbox has it).
      signIn: signInMethods(['otp']),
      scopes: grantedScopes(ctx, scopes, result.account),
    });
  };
}
