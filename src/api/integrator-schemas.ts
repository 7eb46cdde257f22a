/**
 * The shapes of the integrator routes (api/integrator.ts), for the OpenAPI document. The handlers
 * read these fields with the same rules (a string, or for a code a JSON number; other fields are
 * ignored), and the token routes answer with the provider's own token endpoint, so the answers are
 * RFC 6749's: §5.1 for tokens, §5.2 for errors.
 */
import { z } from 'zod';
import { MAX_USERNAME_LENGTH } from '../accounts/username';

const username = z.string().min(1).max(MAX_USERNAME_LENGTH);
const scope = z.string().describe('space-separated scopes; default: those the client may ask for');

// ---- requests -------------------------------------------------------------------------------------

export const requestOtpBody = z.object({ username });

export const passwordTokenBody = z.object({
  username,
  password: z.string(),
  otp: z
    .string()
    .optional()
    .describe(
      "a code of the account's authenticator app or a recovery code: required when it has a second factor",
    ),
  scope: scope.optional(),
});

export const otpTokenBody = z.object({
  username,
  otp: z
    .union([z.string(), z.number()])
    .describe('the code from /api/request-otp; a JSON number is read as its digits'),
  scope: scope.optional(),
});

// ---- responses ------------------------------------------------------------------------------------

export const otpRequestedResponse = z.object({
  status: z.literal('accepted'),
  expires_in: z.number().int().describe('seconds the code is valid, if the name has an account'),
});

/** RFC 6749 §5.1, with the ID token of OpenID Connect Core §3.1.3.3 when `openid` was asked for. */
export const tokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
  scope: z.string().optional(),
  refresh_token: z.string().optional(),
  id_token: z.string().optional(),
});

/** RFC 6749 §5.2, as the token endpoint writes it. */
export const oauthErrorResponse = z.object({
  error: z.string(),
  error_description: z.string().optional(),
  details: z.record(z.string(), z.string()).optional(),
});
