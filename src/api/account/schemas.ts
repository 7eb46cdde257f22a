/**
 * The shapes of the account API's profile, password and session routes (/api/account). The profile
 * is /api/profile's (schemas.ts updateProfileBody, profileResponse): one body, one set of rules.
 */
import { z } from 'zod';
import { password } from '../schemas';

const timestamp = z.string().describe('RFC 3339 date-time');

// ---- requests -------------------------------------------------------------------------------------

/**
 * The current password proves the person, not only their token; its bound only keeps junk out (a
 * password set before the rules, or imported, may be long). The new one keeps the rules (schemas.ts
 * `password`, and PASSWORD_MIN_LENGTH in the store).
 */
export const changePasswordBody = z.strictObject({
  current_password: z
    .string()
    .min(1, 'must be the current password')
    .max(1024, 'must be at most 1024 characters'),
  new_password: password,
});

// ---- responses ------------------------------------------------------------------------------------

export const sessionResponse = z.object({
  id: z.string().describe("the session's stable id (never its cookie)"),
  created_at: timestamp.describe('when the session signed in'),
  last_seen_at: timestamp.describe('when the browser last came through the authorization endpoint'),
  user_agent: z.string().nullable(),
  client_ids: z.array(z.string()).describe('the clients signed in through this session'),
  current: z.boolean().describe("the caller's token was issued through this session"),
});

export const sessionListResponse = z.array(sessionResponse).describe('newest last_seen_at first');
