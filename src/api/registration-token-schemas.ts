/**
 * The shapes of the initial access token route (/api/admin/registration-tokens, RFC 7591 §3), read
 * by the same OpenAPI generator as schemas.ts.
 */
import { z } from 'zod';
import { REGISTRATION_TOKEN_TTL_RANGE as TTL } from '../oidc/registration-tokens';

export const REGISTRATION_TOKENS_PATH = '/api/admin/registration-tokens';

export const createRegistrationTokenBody = z.strictObject({
  expires_in: z
    .int()
    .min(TTL.min)
    .max(TTL.max)
    .optional()
    .describe('seconds the token may register clients; one day (86400) unless given'),
});

export const registrationTokenResponse = z.object({
  token: z.string().describe('the initial access token: the Bearer token of POST /reg; shown only this once'),
  expires_at: z.string().describe('RFC 3339 date-time: the token registers clients until then'),
});
