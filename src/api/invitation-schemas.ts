/**
 * The shapes of the invitations route (/api/admin/invitations), read by the same OpenAPI generator
 * as schemas.ts.
 */
import { z } from 'zod';
import { ROLE_NAME_PATTERN } from '../accounts/roles';

export const createInvitationBody = z.strictObject({
  email: z.email('must be an email address').max(254),
  roles: z
    .array(z.string().regex(ROLE_NAME_PATTERN, 'must be lower-case letters, digits and . _ : -'))
    .max(64)
    .optional(),
});

export const invitationResponse = z.object({
  email: z.string(),
  roles: z.array(z.string()),
  expires_at: z.string().describe('RFC 3339 date-time: the link works until then, once'),
});
