/**
 * Username rules in one place: what a new account may be called (the API, the CLI), how long a
 * presented name may be (the login form, /api/request-otp), and the key under which a name presented
 * at sign-in is looked up and counted (lower-cased, trimmed: the grants, the login form, the limits).
 */
import { isStorableText } from '../db/text';

/** accounts.username, login_throttle.username and otp_codes.username are 150 characters. */
export const MAX_USERNAME_LENGTH = 150;

/** A new account's name: starts with a letter or digit, then letters, digits and . _ @ + - */
export const USERNAME_PATTERN = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,${MAX_USERNAME_LENGTH - 1}}$`);

/** USERNAME_PATTERN in words, for the messages that refuse a name. */
export const USERNAME_RULE = `1-${MAX_USERNAME_LENGTH} letters, digits and . _ @ + -`;

/** A presented name as it is compared and counted: trimmed and lower-cased, nothing else. */
export function foldUsername(name: string): string {
  return name.trim().toLowerCase();
}

/**
 * The key of a presented name, or null when no account can have it: empty, longer than the column
 * (before or after lower-casing, which can lengthen a string: 'İ' becomes two code units), or holding a
 * character the database cannot store. A null key is answered like an unknown name, without a write.
 */
export function usernameKey(name: string): string | null {
  const trimmed = name.trim();
  const key = foldUsername(name);
  if (!key || trimmed.length > MAX_USERNAME_LENGTH || key.length > MAX_USERNAME_LENGTH) return null;
  return isStorableText(key) ? key : null;
}
