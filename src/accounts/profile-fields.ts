/**
 * The rules of the profile fields a person may edit (OpenID Connect Core §5.1 standard claims), in
 * one place: PUT /api/profile and the account page (/account) check the same ones. Each refusal's
 * message completes "<field> …", as the API's `details` print it; the page shows its own words.
 */
import { z } from 'zod';

/** given_name, family_name. */
export const personName = z.string().trim().min(1).max(150);

/** E.164 (ITU-T), the format OpenID Connect Core §5.1 recommends for phone_number. */
export const phoneNumber = z
  .string()
  .regex(/^\+[1-9][0-9]{6,14}$/, 'must be an E.164 number such as +15550100002');

/** BCP 47 language tag (OpenID Connect Core §5.1 `locale`). */
export const locale = z
  .string()
  .max(35)
  .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 language tag such as en or en-GB');

export const email = z.email('must be an email address').max(254);
