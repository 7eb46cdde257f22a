/**
 * The shapes of the account API (/api/account/mfa: the caller's own second factors). Kept apart from
 * schemas.ts, which describes profiles and the administration, and read by the same OpenAPI generator.
 */
import { z } from 'zod';

const timestamp = z.string().describe('RFC 3339 date-time');

// ---- requests -------------------------------------------------------------------------------------

/**
 * A code from the authenticator app (six digits, spaces allowed) or, where the route says so, a
 * recovery code. The length bound only keeps junk out; the store judges the code.
 */
export const codeBody = z.strictObject({
  code: z.string().trim().min(1, 'must be a code').max(64, 'must be at most 64 characters'),
});

// ---- responses ------------------------------------------------------------------------------------

export const totpFactorResponse = z.object({
  status: z.enum(['pending', 'active']),
  created_at: timestamp,
  activated_at: timestamp.nullable(),
});

export const passkeyResponse = z.object({
  id: z.string(),
  name: z.string(),
  device_type: z.string().describe('`multiDevice` (a synced passkey) or `singleDevice`'),
  backed_up: z.boolean(),
  created_at: timestamp,
  last_used_at: timestamp.nullable(),
});

/** What an account has enrolled: never a secret, never a recovery code. */
export const mfaSummaryResponse = z.object({
  totp: totpFactorResponse.nullable(),
  passkeys: z.array(passkeyResponse),
  recovery_codes_remaining: z.number().int(),
});

export const totpEnrollmentResponse = z.object({
  secret: z.string().describe('Base32 (RFC 4648), for typing into an authenticator app'),
  otpauth_uri: z.string().describe('the otpauth:// URI authenticator apps read'),
  qr_svg: z.string().describe('the otpauth URI as an SVG QR code'),
});

export const recoveryCodesResponse = z.object({
  recovery_codes: z.array(z.string()).describe('each works once; shown in this answer only'),
});
