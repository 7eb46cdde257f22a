/**
 * The rules of the profile fields a person may edit (OpenID Connect Core §5.1 standard claims), in
 * one place: PUT /api/profile and the account page (/account) check the same ones. Each refusal's
 * message completes "<field> …", as the API's `details` print it; the page shows its own words.
 */
import { z } from 'zod';
import type { Account, ProfileInput } from './store';

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

/** The fields a person edits, as both the API and the page name them; undefined: left as it is. */
export interface OwnProfileFields {
  given_name?: string | null;
  family_name?: string | null;
  email?: string | null;
  phone_number?: string | null;
  locale?: string | null;
}

/**
 * What a person's own edit changes (PUT /api/profile, PUT /api/account, the account page): nobody
 * has proven they receive mail at a new address or messages at a new number, so a changed one is
 * no longer verified. `emailChanged`: the caller sends the new address its verification link.
 */
export function ownProfileChange(
  account: Pick<Account, 'email' | 'phoneNumber'>,
  fields: OwnProfileFields,
): { input: ProfileInput; emailChanged: boolean } {
  const input: ProfileInput = {
    givenName: fields.given_name,
    familyName: fields.family_name,
    phoneNumber: fields.phone_number,
    locale: fields.locale,
  };
  const emailChanged = fields.email !== undefined && fields.email !== account.email;
  if (emailChanged) {
    input.email = fields.email;
    input.emailVerified = false;
  }
  if (fields.phone_number !== undefined && fields.phone_number !== account.phoneNumber)
    input.phoneNumberVerified = false;
  return { input, emailChanged };
}
