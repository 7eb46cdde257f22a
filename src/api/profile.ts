/**
 * GET/PUT /api/profile: the caller's own account. Only the editable fields may change; a changed
 * email is no longer verified (nobody has proven they receive mail there).
 */
import type { Context } from 'koa';
import type { Account, AccountStore, ProfileInput } from '../accounts/store';
import { badRequest, notFound } from '../errors';
import { authOf } from './bearer';
import { updateProfileBody } from './schemas';
import { validateBody } from './validation';
import { profileView } from './views';

export function getProfile() {
  return async function getProfile(ctx: Context): Promise<void> {
    ctx.body = profileView(authOf(ctx).account);
  };
}

export function updateProfile({
  accounts,
  emailVerification,
}: {
  accounts: Pick<AccountStore, 'updateProfile'>;
  /** A changed address gets a verification link (accounts/email-verification.ts). */
  emailVerification: { request(account: Account): Promise<void> };
}) {
  return async function updateProfile(ctx: Context): Promise<void> {
    const { account } = authOf(ctx);
    const body = validateBody(ctx, updateProfileBody);
    if (Object.keys(body).length === 0) throw badRequest('the body names no field to update');
    const input: ProfileInput = {
      givenName: body.given_name,
      familyName: body.family_name,
      phoneNumber: body.phone_number,
      locale: body.locale,
    };
    if (body.email !== undefined && body.email !== account.email) {
      input.email = body.email;
      input.emailVerified = false;
    }
    // A changed phone number is no longer verified either.
    if (body.phone_number !== undefined && body.phone_number !== account.phoneNumber)
      input.phoneNumberVerified = false;
    const updated = await accounts.updateProfile(account.id, input);
    if (!updated) throw notFound('the account no longer exists');
    // Sent after answering; it logs its own failure.
    if (input.email !== undefined) void emailVerification.request(updated);
    ctx.body = profileView(updated);
  };
}
