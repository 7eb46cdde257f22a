/**
 * GET/PUT /api/account: the caller's profile under the account scope, for Gatehouse's own
 * (first-party) applications. The very handlers of /api/profile (../profile.ts): one view, one body,
 * one set of rules (a changed email or phone number becomes unverified, a changed email gets a
 * verification link), whichever scope opened the route.
 */
import type { Account, AccountStore } from '../../accounts/store';
import { getProfile, updateProfile } from '../profile';

export function getAccount() {
  return getProfile();
}

export function updateAccount(deps: {
  accounts: Pick<AccountStore, 'updateProfile'>;
  emailVerification: { request(account: Account): Promise<void> };
}) {
  return updateProfile(deps);
}
