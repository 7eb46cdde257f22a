/**
 * An account's second factors as the API shows them, to the account itself (GET /api/account/mfa)
 * and to an administrator (GET /api/admin/users/:id/mfa): what is enrolled and when, never a secret.
 */
import type { z } from 'zod';
import type { FactorSummary } from '../accounts/mfa/store';
import type { mfaSummaryResponse } from './account-schemas';

export function mfaSummaryView(summary: FactorSummary): z.infer<typeof mfaSummaryResponse> {
  const { totp } = summary;
  return {
    totp: totp
      ? {
          status: totp.status,
          created_at: totp.createdAt.toISOString(),
          activated_at: totp.activatedAt?.toISOString() ?? null,
        }
      : null,
    passkeys: summary.passkeys.map((p) => ({
      id: p.id,
      name: p.name,
      device_type: p.deviceType,
      backed_up: p.backedUp,
      created_at: p.createdAt.toISOString(),
      last_used_at: p.lastUsedAt?.toISOString() ?? null,
    })),
    recovery_codes_remaining: summary.recoveryCodesRemaining,
  };
}
