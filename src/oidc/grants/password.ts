/**
 * The resource owner password credentials grant (RFC 6749 §4.3) as an oidc-provider extension grant.
 * The library has authenticated the client and checked that it lists this grant before this runs.
 *
 * An account with a second factor (or one whose roles require it, MFA_REQUIRED_ROLES) also needs
 * `otp`: a code from its authenticator app or a recovery code. Asked for only after the password was
 * verified, so the answer tells nothing new to whoever does not have the password.
 */
import { errors, type KoaContextWithOIDC, type Provider } from 'oidc-provider';
import { rolesRequireSecondFactor, signInMethods, type Method } from '../../accounts/mfa/methods';
import type { MfaStore } from '../../accounts/mfa/store';
import type { Account, AccountStore } from '../../accounts/store';
import { grantedScopes, issueTokensForAccount } from './issue';
import { PASSWORD_GRANT } from './names';
import { requireParams } from './params';
import { refuseOverTokenLimit, type GrantLimits } from './rate-limit';

export const grantType = PASSWORD_GRANT;

export const parameters = ['username', 'password', 'otp', 'scope'];

export interface PasswordGrantDeps {
  accounts: AccountStore;
  mfa: Pick<MfaStore, 'hasSecondFactor' | 'verifyCode'>;
  /** MFA_REQUIRED_ROLES. */
  mfaRequiredRoles: readonly string[];
}

/** invalid_grant with a description the client is shown (the library's default hides the detail). */
function secondFactorRequired(detail: string): errors.InvalidGrant {
  const err = new errors.InvalidGrant(detail);
  err.error_description = 'a second factor is required';
  return err;
}

/** Whether this account signs in with two factors: it has one, or one of its roles requires it. */
export async function needsSecondFactor(
  mfa: Pick<MfaStore, 'hasSecondFactor'>,
  account: Pick<Account, 'id' | 'roles'>,
  requiredRoles: readonly string[],
): Promise<boolean> {
  return rolesRequireSecondFactor(account.roles, requiredRoles) || mfa.hasSecondFactor(account.id);
}

export function createHandler(
  provider: Provider,
  deps: PasswordGrantDeps,
  scopes: ReadonlySet<string>,
  limits: GrantLimits,
) {
  return async function passwordGrantHandler(ctx: KoaContextWithOIDC): Promise<void> {
    await refuseOverTokenLimit(ctx, limits);
    const { username, password } = requireParams(ctx, ['username', 'password']);
    const attempt = { method: 'password', clientId: ctx.oidc.client?.clientId ?? null };
    // Refusals are recorded in the audit trail by the stores (never the password or the code).
    const result = await deps.accounts.authenticate(username, password, attempt);
    if (!result.ok) {
      // One answer for unknown user, wrong password, locked and disabled (no user enumeration);
      // the reason goes to the provider's events, not to the client.
      throw new errors.InvalidGrant(`authentication failed (${result.reason})`);
    }
    const shown: Method[] = ['pwd'];
    if (await needsSecondFactor(deps.mfa, result.account, deps.mfaRequiredRoles)) {
      const otp = ctx.oidc.params?.otp;
      if (typeof otp !== 'string' || !otp) throw secondFactorRequired('no otp');
      // A wrong code counts towards the account's lockout, as a wrong password does.
      const verified = await deps.mfa.verifyCode(result.account, otp, attempt);
      if (!verified.ok) throw secondFactorRequired(`otp refused (${verified.reason})`);
      shown.push('otp');
    }
    const signIn = signInMethods(shown);
    await issueTokensForAccount(ctx, provider, result.account, {
      gty: grantType,
      signIn,
      scopes: grantedScopes(ctx, scopes, result.account),
    });
    // Once the tokens are issued: a sign-in whose issuing failed gave the client nothing.
    await deps.accounts.recordSignedIn(result.account.id, { ...attempt, amr: signIn.amr });
  };
}
