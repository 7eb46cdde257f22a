/**
 * An account as the code sees it and as the `accounts` table holds it, and the mapping between the
 * two: the profile fields' columns, and the roles PGlite may hand back as an array literal.
 */

export interface Address {
  formatted?: string;
  street_address?: string;
  locality?: string;
  region?: string;
  postal_code?: string;
  country?: string;
}

export interface Account {
  id: string;
  username: string;
  email: string | null;
  emailVerified: boolean;
  givenName: string | null;
  familyName: string | null;
  phoneNumber: string | null;
  phoneNumberVerified: boolean;
  locale: string | null;
  address: Address | null;
  disabled: boolean;
  roles: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface ProfileInput {
  email?: string | null;
  emailVerified?: boolean;
  givenName?: string | null;
  familyName?: string | null;
  phoneNumber?: string | null;
  phoneNumberVerified?: boolean;
  locale?: string | null;
  address?: Address | null;
}

export interface NewAccount extends ProfileInput {
  id?: string;
  username: string;
  password: string;
  roles?: string[];
  disabled?: boolean;
}

export type AuthResult =
  | { ok: true; account: Account }
  | { ok: false; reason: 'invalid_credentials' | 'locked' | 'disabled'; lockedUntil?: Date };

export interface AccountRow {
  id: string;
  username: string;
  /** Null: no password (an imported unusable Django password); only a reset gives it one. */
  password_hash: string | null;
  email: string | null;
  email_verified: boolean;
  given_name: string | null;
  family_name: string | null;
  phone_number: string | null;
  phone_number_verified: boolean;
  locale: string | null;
  address: Address | null;
  disabled: boolean;
  /** The last successful password sign-in (Django's last_login for an imported account). */
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const PROFILE_COLUMNS: Record<keyof ProfileInput, keyof AccountRow> = {
  email: 'email',
  emailVerified: 'email_verified',
  givenName: 'given_name',
  familyName: 'family_name',
  phoneNumber: 'phone_number',
  phoneNumberVerified: 'phone_number_verified',
  locale: 'locale',
  address: 'address',
};

export function profileRow(input: ProfileInput): Partial<Record<keyof AccountRow, unknown>> {
  const row: Partial<Record<keyof AccountRow, unknown>> = {};
  for (const [key, column] of Object.entries(PROFILE_COLUMNS) as [keyof ProfileInput, keyof AccountRow][]) {
    if (input[key] === undefined) continue;
    row[column] = key === 'address' && input.address ? JSON.stringify(input.address) : input[key];
  }
  return row;
}

export function toAccount(row: AccountRow, roles: string[]): Account {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    emailVerified: row.email_verified,
    givenName: row.given_name,
    familyName: row.family_name,
    phoneNumber: row.phone_number,
    phoneNumberVerified: row.phone_number_verified,
    locale: row.locale,
    address: row.address,
    disabled: row.disabled,
    roles,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** PGlite may hand back text[] in its literal form ({a,b}). */
export function parsePgArray(value: string): string[] {
  const inner = value.replace(/^\{|\}$/g, '');
  return inner ? inner.split(',').map((v) => v.replace(/^"|"$/g, '')) : [];
}
