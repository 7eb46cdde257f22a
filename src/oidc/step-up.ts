/**
 * Step-up (OpenID Connect Core §3.1.2.1 `acr_values`, §5.5.1.1 the `acr` claim): the login prompt of
 * the library's interaction policy (oidc-provider docs, "interactions.policy") with two more checks.
 * A session signed in with one factor is asked for a second one when
 * - the request asks for `urn:gatehouse:acr:mfa` in `acr_values` (the library's own essential_acr(s)
 *   checks already cover an essential `acr` claim), or
 * - the account holds a role of MFA_REQUIRED_ROLES (a role granted, or the setting turned on, after the
 *   session began).
 * The login page then asks for the second factor only (the session's account, its first factor kept).
 */
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { ACR_TWO_FACTORS, rolesRequireSecondFactor } from '../accounts/mfa/methods';
import { accountOf } from './claims';

/** Prompt reasons the login page reads: a second factor is wanted for this session's account. */
export const STEP_UP_REASONS = ['acr_values_mfa', 'mfa_required_role', 'essential_acr', 'essential_acrs'];

export interface StepUpDeps {
  /** MFA_REQUIRED_ROLES. */
  requiredRoles: readonly string[];
}

const { Check, base } = interactionPolicy;

/** Whether the request's acr_values include the two-factor level. */
export function acrValuesAskForMfa(acrValues: unknown): boolean {
  return typeof acrValues === 'string' && acrValues.split(' ').includes(ACR_TWO_FACTORS);
}

export function stepUpPolicy(deps: StepUpDeps): interactionPolicy.Prompt[] {
  const policy = base();
  const login = policy.get('login')!;
  login.checks.add(
    new Check('acr_values_mfa', 'a second factor is requested', (ctx: KoaContextWithOIDC) => {
      const { oidc } = ctx;
      if (!oidc.session?.accountId || !acrValuesAskForMfa(oidc.params?.acr_values))
        return Check.NO_NEED_TO_PROMPT;
      return oidc.session.acr === ACR_TWO_FACTORS ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  if (deps.requiredRoles.length) {
    login.checks.add(
      new Check(
        'mfa_required_role',
        'a second factor is required for this account',
        (ctx: KoaContextWithOIDC) => {
          const { oidc } = ctx;
          const accountId = oidc.session?.accountId;
          if (!accountId || oidc.session.acr === ACR_TWO_FACTORS) return Check.NO_NEED_TO_PROMPT;
          // The account the authorization endpoint loaded (findAccount) before the policy runs
          // (lib/actions/authorization: loadAccount, then interactions): no look-up of its own.
          const roles = accountOf(oidc.account)?.roles;
          return roles && rolesRequireSecondFactor(roles, deps.requiredRoles)
            ? Check.REQUEST_PROMPT
            : Check.NO_NEED_TO_PROMPT;
        },
      ),
    );
  }
  return policy;
}
