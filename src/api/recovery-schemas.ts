/**
 * The shapes of the recovery routes (a forgotten password, a verification link): the bodies the
 * handlers validate and the answer of a reset request, which is the same whatever was asked.
 */
import { z } from 'zod';
import { MAX_USERNAME_LENGTH } from '../accounts/username';
import { password } from './schemas';

/** A token of action-tokens.ts is 43 characters; longer is refused there as no token at all. */
const token = z
  .string({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a string') })
  .min(1, 'required')
  .max(128, 'is not a link token');

/** `{ "username" }` or `{ "email" }`: exactly one, so the limit counts one name per request. */
export const passwordResetBody = z
  .strictObject({
    username: z.string().trim().min(1, 'required').max(MAX_USERNAME_LENGTH).optional(),
    email: z.email('must be an email address').max(254).optional(),
  })
  .superRefine((body, ctx) => {
    if (body.username === undefined && body.email === undefined)
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'give username or email' });
    if (body.username !== undefined && body.email !== undefined)
      ctx.addIssue({ code: 'custom', path: ['email'], message: 'give username or email, not both' });
  });

export const passwordResetConfirmBody = z.strictObject({ token, new_password: password });

export const emailVerificationConfirmBody = z.strictObject({ token });

/** The one answer of a reset request, whether or not an account has the name or address. */
export const passwordResetAccepted = z.object({ status: z.literal('accepted') });
