/**
 * Scopes and the claims they release (OpenID Connect Core §5.4), plus Gatehouse's `roles` scope.
 * The provider filters what a token may see; this file only says what an account has.
 */
import type { Account } from '../accounts/store';

/** Scope -> claims, as oidc-provider's `claims` configuration. */
export const SCOPE_CLAIMS = {
  openid: ['sub'],
  profile: ['name', 'given_name', 'family_name', 'preferred_username', 'locale', 'updated_at'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  address: ['address'],
  roles: ['roles'],
} as const;

/**
 * Scopes that release no claims but must be known to the provider. `profile:write` lets a token change
 * its account's profile, `admin` lets it use the administration API (with the account role `admin`),
 * and `account` lets it manage the account's own sign-in (its second factors): first-party clients only.
 */
export const OTHER_SCOPES = ['offline_access', 'profile:write', 'admin', 'account'] as const;

/** The scopes Gatehouse itself defines: those that release claims and OTHER_SCOPES. */
export const SUPPORTED_SCOPES: string[] = [...Object.keys(SCOPE_CLAIMS), ...OTHER_SCOPES];

/**
 * Every scope the provider knows (its `scopes` configuration, discovery's scopes_supported, what the
 * extension grants may grant): Gatehouse's own plus the operator's EXTRA_SCOPES, such as
 * django-oauth-toolkit's `read` and `write`. An extra scope releases no claims; a token carries it
 * for the resource servers that read it. A scope neither lists stays unknown to the provider, which
 * drops it from requests (RFC 6749 §3.3) and refuses a client that lists it.
 */
export function supportedScopes(extraScopes: readonly string[]): string[] {
  return [...new Set([...SUPPORTED_SCOPES, ...extraScopes])];
}

/** Every claim an account can release, undefined where the account has no value. */
export function accountClaims(account: Account): Record<string, unknown> {
  const name = [account.givenName, account.familyName].filter(Boolean).join(' ') || undefined;
  return {
    sub: account.id,
    name,
    given_name: account.givenName ?? undefined,
    family_name: account.familyName ?? undefined,
    preferred_username: account.username,
    locale: account.locale ?? undefined,
    updated_at: Math.floor(account.updatedAt.getTime() / 1000),
    email: account.email ?? undefined,
    email_verified: account.email ? account.emailVerified : undefined,
    phone_number: account.phoneNumber ?? undefined,
    phone_number_verified: account.phoneNumber ? account.phoneNumberVerified : undefined,
    address: account.address ?? undefined,
    roles: account.roles,
  };
}

/** An account as findAccount hands it to the provider: its id, its claims, and the account itself. */
export type ProviderAccount = {
  accountId: string;
  /** The store's account, for the API's checks (roles, profile) without a second look-up. */
  account: Account;
  claims(): Promise<{ sub: string }>;
};

export function providerAccount(account: Account): ProviderAccount {
  return {
    accountId: account.id,
    account,
    async claims() {
      return accountClaims(account) as { sub: string };
    },
  };
}

/** The store's account behind what findAccount returned (undefined for anything else). */
export function accountOf(found: { accountId: string } | undefined): Account | undefined {
  return (found as Partial<ProviderAccount> | undefined)?.account;
}
