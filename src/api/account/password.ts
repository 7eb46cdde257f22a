/**
 * POST /api/account/password: the caller changes their own password, proven by the current one
 * (counted by the sign-in throttle like a login: a stolen token cannot guess its way to the
 * password). Every other session, grant and token of the account is revoked in the transaction
 * that sets it (AccountStore.changePassword); the caller's own token keeps working: its grant
 * stays, and so does the browser session it was issued through (the access token's `sessionUid`,
 * set by the authorization code it came from; a password grant's token has none).
 */
import type { Context } from 'koa';
import { PasswordRuleError } from '../../accounts/password-rules';
import type { AccountStore } from '../../accounts/store';
import { GatehouseError, badRequest } from '../../errors';
import { authOf } from '../bearer';
import { validateBody } from '../validation';
import { changePasswordBody } from './schemas';

const wrongPassword = () =>
  badRequest('the current password is not correct', {
    current_password: 'is not the current password',
  });

/** Too many wrong passwords for this name: RFC 6585 §4, Retry-After (RFC 9110 §10.2.3) the lock's end. */
function locked(lockedUntil: Date | undefined): GatehouseError {
  const seconds = lockedUntil ? Math.max(1, Math.ceil((lockedUntil.getTime() - Date.now()) / 1000)) : 1;
  return new GatehouseError('too_many_requests', 429, `too many wrong passwords; retry after ${seconds} s`, {
    headers: { 'Retry-After': String(seconds) },
  });
}

export function changePassword({ accounts }: { accounts: Pick<AccountStore, 'changePassword'> }) {
  return async function changePassword(ctx: Context): Promise<void> {
    const { account, token } = authOf(ctx);
    const body = validateBody(ctx, changePasswordBody);
    const keep = {
      grantId: token.grantId,
      sessionUid: typeof token.sessionUid === 'string' ? token.sessionUid : undefined,
    };
    let result;
    try {
      result = await accounts.changePassword(account.id, body.current_password, body.new_password, keep);
    } catch (err) {
      // A rule stricter than the schema's floor (PASSWORD_MIN_LENGTH), named as the request's field.
      if (err instanceof PasswordRuleError) throw err.forField('new_password');
      throw err;
    }
    if (!result.ok) throw result.reason === 'locked' ? locked(result.lockedUntil) : wrongPassword();
    ctx.status = 204;
  };
}
