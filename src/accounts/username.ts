/**
 * Username rules in one place: what a new account may be called, and the key under which a name
 * presented at sign-in is looked up and counted (lower-cased, trimmed).
 */
import { isStorableText } from '../db/text';

/** accounts.username, login_throttle.username and otp_codes.username are 150 characters. */
export const MAX_USERNAME_LENGTH = 150;

/** A new account's name: starts with a letter or digit, then letters, digits and . _ @ + - */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,149}$/;

/**
 * The key of a presented name, or null when no account can have it: empty, longer than the column
 * (before or after lower-casing, which can lengthen a string: 'İ' becomes two code units), or holding a
 * character the database cannot store. A null key is answered like an unknown name, without a write.
 */
export function usernameKey(name: string): string | null {
  const trimmed = name.trim();
  const key = trimmed.toLowerCase();
  if (!key || trimmed.length > MAX_USERNAME_LENGTH || key.length > MAX_USERNAME_LENGTH) return null;
  return isStorableText(key) ? key : null;
}
