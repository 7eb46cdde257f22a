/**
 * The password rules, in one place: every way a password is set (sign-up, an invitation, a reset, a
 * change on the account page or API, an administrator, the CLI) passes through AccountStore, which
 * checks them here before hashing. Length counts characters (Unicode code points), as a person
 * counts them; NIST SP 800-63B §5.1.1.2 asks for at least 8 and allows at least 64, without
 * composition rules. bcrypt reads 72 bytes at most, so longer passwords are hashed through SHA-256
 * first (password.ts), and 128 characters of any script fit.
 */
import { GatehouseError } from '../errors';

export interface PasswordPolicy {
  /** PASSWORD_MIN_LENGTH (8 by default, and never less: the floor the API's schemas check). */
  minLength: number;
  maxLength: number;
}

export const MAX_PASSWORD_LENGTH = 128;

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = { minLength: 8, maxLength: MAX_PASSWORD_LENGTH };

/** What is wrong with a password, in words that complete "password …", or null when it is fine. */
export function passwordProblem(policy: PasswordPolicy, password: string): string | null {
  const length = [...password].length;
  if (length < policy.minLength) return `must be at least ${policy.minLength} characters`;
  if (length > policy.maxLength) return `must be at most ${policy.maxLength} characters`;
  // bcrypt stops reading at U+0000: "secret\0anything" would set the password "secret".
  if (password.includes('\0')) return 'must not contain U+0000';
  return null;
}

/**
 * A password the rules refuse. `forField` names the request's field (`password`, `new_password`) in
 * the API's answer (`details`), so the client can show the message beside it.
 */
export class PasswordRuleError extends GatehouseError {
  constructor(readonly problem: string) {
    super('invalid_request', 400, `the password ${problem}`, { details: { password: problem } });
    this.name = 'PasswordRuleError';
  }

  forField(field: string): GatehouseError {
    return new GatehouseError('invalid_request', 400, `${field}: ${this.problem}`, {
      details: { [field]: this.problem },
    });
  }
}

/** Throws PasswordRuleError unless the password keeps the rules. */
export function checkPasswordRules(policy: PasswordPolicy, password: string): void {
  const problem = passwordProblem(policy, password);
  if (problem) throw new PasswordRuleError(problem);
}
