/**
 * Which scopes a client may ask for. A client lists them in its metadata (`scope`); the provider
 * refuses any other (invalid_scope). A client registered without a list gets the default one, never
 * "every scope": the `admin` scope opens /api/admin and must be listed explicitly.
 */
export const ADMIN_SCOPE = 'admin';

/** What a client gets when its registration names no scopes. */
export const DEFAULT_CLIENT_SCOPE = 'openid profile email';

/**
 * Whether the admin scope may be granted to this account through this client. The client must list
 * it (the provider checks that before this runs), the account must hold the admin role, and a
 * browser's consent never grants it to a third-party client: a person signing in to someone else's
 * application must not hand it the keys to the provider.
 */
export function mayGrantAdminScope(
  account: { roles: readonly string[] },
  via: { consent: boolean; firstParty: boolean },
): boolean {
  if (!account.roles.includes('admin')) return false;
  return !via.consent || via.firstParty;
}

/** Opens the account API (/api/account: the account's own second factors and sign-in). */
export const ACCOUNT_SCOPE = 'account';

/**
 * Whether the account scope may be granted through this client: only Gatehouse's own (first-party)
 * applications manage a person's sign-in, never someone else's application, consent or not.
 */
export function mayGrantAccountScope(client: { firstParty: boolean }): boolean {
  return client.firstParty;
}
