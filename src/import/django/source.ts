/**
 * What an import reads from a Django project, whichever way it was read (its PostgreSQL database, or
 * `manage.py dumpdata auth.user auth.group oauth2_provider` from any database engine): the rows of
 * `auth_user`, `auth_group`, `auth_user_groups` and django-oauth-toolkit's `oauth2_provider_*` tables,
 * as plain values. Keys are the Django primary keys as strings (the dump's `pk`s), so that rows
 * refer to each other the same way from both readers.
 */

export interface DjangoGroup {
  id: string;
  name: string;
}

export interface DjangoUser {
  id: string;
  username: string;
  /** As Django stores it: `<algorithm>$…`, an unusable `!…`, or '' (no password). */
  password: string;
  email: string;
  firstName: string;
  lastName: string;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  dateJoined: Date;
  lastLogin: Date | null;
  /** Ids of the user's groups (DjangoGroup.id). */
  groupIds: string[];
}

/** django-oauth-toolkit's AbstractApplication (oauth2_provider_application). */
export interface DjangoApplication {
  id: string;
  clientId: string;
  /** Plain (DOT 1.x, or `hash_client_secret` false) or a Django hash (DOT ≥ 2.0); '' for public clients. */
  clientSecret: string;
  clientType: 'confidential' | 'public';
  /** `authorization-code`, `implicit`, `password`, `client-credentials` or `openid-hybrid`. */
  authorizationGrantType: string;
  /** Space-separated in Django; split here. */
  redirectUris: string[];
  /** DOT ≥ 2.3 only; empty when the column does not exist. */
  postLogoutRedirectUris: string[];
  skipAuthorization: boolean;
  /** '' (none), 'RS256' or 'HS256'. */
  algorithm: string;
  name: string;
  /** The application's owner (a DjangoUser.id), if any. */
  userId: string | null;
  created: Date | null;
}

/** oauth2_provider_accesstoken. */
export interface DjangoAccessToken {
  id: string;
  token: string;
  /** Null for a client-credentials token. */
  userId: string | null;
  applicationId: string | null;
  expires: Date;
  scope: string;
  sourceRefreshTokenId: string | null;
  idTokenId: string | null;
  created: Date | null;
}

/** oauth2_provider_refreshtoken. */
export interface DjangoRefreshToken {
  id: string;
  token: string;
  userId: string;
  applicationId: string;
  /** The access token issued with it (null once that one was deleted). */
  accessTokenId: string | null;
  /** Set when DOT revoked it (rotation or revocation). */
  revoked: Date | null;
  created: Date | null;
}

/** oauth2_provider_idtoken (DOT ≥ 1.5); read for the counts, ID tokens themselves are not carried over. */
export interface DjangoIdToken {
  id: string;
  jti: string;
  userId: string | null;
  applicationId: string | null;
  expires: Date;
}

/** Everything read from one Django project. Tables that do not exist there come back empty. */
export interface DjangoSnapshot {
  groups: DjangoGroup[];
  users: DjangoUser[];
  applications: DjangoApplication[];
  accessTokens: DjangoAccessToken[];
  refreshTokens: DjangoRefreshToken[];
  idTokens: DjangoIdToken[];
  /** Where it was read from, for the summary: `postgres://host/db` (no password) or the dump's path. */
  origin: string;
}
