/**
 * GET/PUT /api/profile: the caller's own account. Only the editable fields may change; a changed
 * email is no longer verified (nobody has proven they receive mail there).
 */
import type { Context } from 'koa';
import { ownProfileChange } from '../accounts/profile-fields';
import type { Account, AccountStore } from '../accounts/store';
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
    const { input, emailChanged } = ownProfileChange(account, body);
    const updated = await accounts.updateProfile(account.id, input);
    if (!updated) throw notFound('the account no longer exists');
    // Sent after answering; it logs its own failure.
    if (emailChanged) void emailVerification.request(updated);
    ctx.body = profileView(updated);
  };
}
