/**
 * What an imported user's password becomes. Django's encoded passwords are kept as stored and
 * verified in their own format at sign-in (security/django-hashes.ts), then replaced by Gatehouse's
 * bcrypt. The weak legacy formats (md5, sha1, unsalted_*, crypt: crackable offline in hours from a
 * stolen database) come over only with --allow-weak-hashes; without it, and for formats Gatehouse
 * cannot verify, the account comes over without a password and can reset it. An unusable password
 * (`!…`, Django's set_unusable_password) is no password.
 */
import { isOwnHash } from '../../accounts/password';
import { describeDjangoHash } from '../../security/django-hashes';

export type PasswordOutcome =
  | { hash: string; format: string }
  | { hash: null; format: string; reason: 'unusable' | 'weak_hash' | 'unknown_hash' };

/** How the summary names a format: its algorithm name, only when it looks like one (never a value). */
function algorithmLabel(algorithm: string): string {
  return /^[A-Za-z0-9_]{1,40}$/.test(algorithm) ? `unknown:${algorithm}` : 'unknown';
}

export function importedPassword(encoded: string, allowWeakHashes: boolean): PasswordOutcome {
  const described = describeDjangoHash(encoded);
  if (described.kind === 'unusable') return { hash: null, format: 'unusable', reason: 'unusable' };
  // A Django hash always names its algorithm before a `$`; a value without one is no hash at all.
  if (described.kind === 'unknown')
    return {
      hash: null,
      format: encoded.includes('$') ? algorithmLabel(described.algorithm) : 'unknown',
      reason: 'unknown_hash',
    };
  if (described.weak && !allowWeakHashes)
    return { hash: null, format: described.format, reason: 'weak_hash' };
  return { hash: encoded, format: described.format };
}

/**
 * A hash Gatehouse wrote since an earlier run (a sign-in's rehash, a reset, a change): its own format
 * (accounts/password.ts), which a later import must not undo.
 */
export function isGatehouseHash(hash: string | null): boolean {
  return isOwnHash(hash);
}

export interface HashFormatCount {
  format: string;
  count: number;
  /** Whether Gatehouse verifies the format at sign-in. */
  supported: boolean;
  /** Whether this run imports hashes of it (weak ones only with --allow-weak-hashes). */
  imported: boolean;
}

/** Tallies formats for the summary. */
export class HashFormats {
  private readonly counts = new Map<string, HashFormatCount>();

  add(outcome: PasswordOutcome): void {
    const current = this.counts.get(outcome.format);
    if (current) {
      current.count += 1;
      return;
    }
    const reason = outcome.hash === null ? outcome.reason : null;
    this.counts.set(outcome.format, {
      format: outcome.format,
      count: 1,
      supported: reason === null || reason === 'weak_hash',
      imported: outcome.hash !== null,
    });
  }

  list(): HashFormatCount[] {
    return [...this.counts.values()].sort((a, b) => b.count - a.count || a.format.localeCompare(b.format));
  }
}
