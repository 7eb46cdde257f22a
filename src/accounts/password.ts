/**
 * Password hashing with bcrypt. Verification of an unknown user compares against a dummy hash of the
 * same cost, so that "no such user" and "wrong password" take the same time.
 *
 * bcrypt reads at most 72 bytes of a password. A longer one (the rules allow 128 characters, up to
 * 512 bytes of UTF-8) is first reduced to the hex SHA-256 digest of its UTF-8 bytes (64 bytes) and
 * stored as `bcrypt_sha256$<bcrypt hash>`: the format of Django's BCryptSHA256PasswordHasher, so the
 * same hashes verify on both sides.
 */
import { createHash } from 'node:crypto';
import bcrypt from 'bcrypt';

const BCRYPT_MAX_BYTES = 72;
const SHA256_PREFIX = 'bcrypt_sha256$';

const sha256Hex = (password: string) => createHash('sha256').update(password, 'utf8').digest('hex');

export class PasswordHasher {
  private dummy: Promise<string> | undefined;

  constructor(readonly cost: number) {}

  async hash(password: string): Promise<string> {
    // bcrypt stops reading at U+0000: "secret\0anything" would set the password "secret".
    if (password.includes('\0')) throw new Error('a password must not contain U+0000');
    if (Buffer.byteLength(password, 'utf8') <= BCRYPT_MAX_BYTES) return bcrypt.hash(password, this.cost);
    return SHA256_PREFIX + (await bcrypt.hash(sha256Hex(password), this.cost));
  }

  /** Compares `password` with `hash`, or with a dummy hash when there is none (unknown user). */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    this.dummy ??= bcrypt.hash('gatehouse-timing-equaliser', this.cost);
    const against = hash ?? (await this.dummy);
    if (against.startsWith(SHA256_PREFIX)) {
      const ok = await bcrypt.compare(sha256Hex(password), against.slice(SHA256_PREFIX.length));
      return ok && hash !== undefined;
    }
    // A plain bcrypt hash was set from at most 72 bytes: a longer password that shares them is not it.
    const ok = await bcrypt.compare(password, against);
    return ok && hash !== undefined && Buffer.byteLength(password, 'utf8') <= BCRYPT_MAX_BYTES;
  }
}
