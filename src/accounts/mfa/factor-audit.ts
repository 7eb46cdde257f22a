/**
 * The audit events of second factors (issue 18): user.mfa_enrolled and user.mfa_removed with
 * data.factor, written in the transaction of the change (the store's and the passkeys' own).
 */
import { recordAudit } from '../../audit/record';
import type { Database } from '../../db/database';

/**
 * A second factor enrolled or removed, in the transaction of the change. Enrolling is the account's
 * own doing; a removal is by the context's actor (the account, or an administrator's reset).
 */
export async function recordFactor(
  trx: Database,
  type: 'user.mfa_enrolled' | 'user.mfa_removed',
  accountId: string,
  factor: 'totp' | 'recovery_codes' | 'passkey',
  actor?: { type: 'account'; id: string },
): Promise<void> {
  await recordAudit(trx, {
    type,
    target: { type: 'account', id: accountId },
    data: { factor },
    ...(actor ? { actor } : {}),
  });
}
