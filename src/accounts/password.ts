/**
 * Password hashing with bcrypt, and verification of the hashes accounts imported from Django keep
 * until their first sign-in (src/security/django-hashes.ts; `needsRehash` tells the store to replace
 * them).
 *
 * bcrypt reads at most 72 bytes of a password. A longer one (the rules allow 128 characters, up to
 * 512 bytes of UTF-8) is first reduced to the hex SHA-256 digest of its UTF-8 bytes (64 bytes) and
 * stored as `bcrypt_sha256$<bcrypt hash>`: the format of Django's BCryptSHA256PasswordHasher, so the
 * same hashes verify on both sides.
 *
 * Timing: no answer may tell an unknown user from a wrong password, nor one account's hash format
 * from another's. An unknown user (or an account without a password) is compared against a dummy
 * bcrypt hash of the configured cost, and every failed verification lasts at least as long as the
 * typical verification of the slowest kind of hash this node has seen (FailureFloor): an MD5 hash's
 * failure takes as long as an argon2 one's.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import bcrypt from 'bcrypt';
import { DJANGO_HASH_LIMITS, djangoHashProfile, verifyDjangoHash } from '../security/django-hashes';

const BCRYPT_MAX_BYTES = 72;
const SHA256_PREFIX = 'bcrypt_sha256$';
/** Gatehouse's own hashes: bcrypt, and bcrypt of the SHA-256 digest (as Django's bcrypt_sha256). */
const OWN_HASH = /^(?:bcrypt_sha256\$)?\$2[ab]\$([0-9]{2})\$[./A-Za-z0-9]{53}$/;

/** Whether a stored hash is in Gatehouse's own format (bcrypt, or bcrypt_sha256$ for long passwords). */
export function isOwnHash(hash: string | null): boolean {
  return hash !== null && OWN_HASH.test(hash);
}

const sha256Hex = (password: string) => createHash('sha256').update(password, 'utf8').digest('hex');

/**
 * The per-node floor under failed verifications. Verifications are grouped by profile (format and
 * costs: `bcrypt 10`, `pbkdf2_sha256 260000`, `argon2 102400,2,8`), and the floor is the slowest
 * profile's typical time: the median of its last `window` verifications, at most `capMs`. A failure
 * that ended sooner waits for the rest, so an MD5 account's failure lasts as long as an argon2
 * account's or an unknown name's. Medians, not maxima: one slow moment (a pause, a burst) does not
 * hold every failure after it; per profile: a format few accounts use still sets the floor.
 */
export class FailureFloor {
  private readonly samples = new Map<string, number[]>();
  private cached: number | undefined;

  constructor(
    private readonly options: {
      window?: number;
      capMs?: number;
      now?: () => number;
      wait?: (ms: number) => Promise<unknown>;
    } = {},
  ) {}

  now(): number {
    return this.options.now ? this.options.now() : performance.now();
  }

  /** The current floor, in milliseconds. */
  get floorMs(): number {
    if (this.cached === undefined) {
      let floor = 0;
      for (const samples of this.samples.values()) floor = Math.max(floor, median(samples));
      this.cached = Math.min(floor, this.options.capMs ?? 3000);
    }
    return this.cached;
  }

  /** Records how long one verification of `profile` took. */
  record(profile: string, ms: number): void {
    const samples = this.samples.get(profile) ?? [];
    samples.push(ms);
    if (samples.length > (this.options.window ?? 15)) samples.shift();
    // A profile is refreshed to the end of the map's order; past 64 the least recent is forgotten.
    this.samples.delete(profile);
    this.samples.set(profile, samples);
    if (this.samples.size > 64) this.samples.delete(this.samples.keys().next().value!);
    this.cached = undefined;
  }

  /** Waits, after a failure that started at `startedAt` (now()), until the floor has passed. */
  async pad(startedAt: number): Promise<void> {
    const remaining = this.floorMs - (this.now() - startedAt);
    if (remaining > 0) await (this.options.wait ?? sleep)(remaining);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export class PasswordHasher {
  private dummy: Promise<string> | undefined;

  constructor(
    readonly cost: number,
    readonly floor: FailureFloor = new FailureFloor(),
  ) {}

  async hash(password: string): Promise<string> {
    // bcrypt stops reading at U+0000: "secret\0anything" would set the password "secret".
    if (password.includes('\0')) throw new Error('a password must not contain U+0000');
    if (Buffer.byteLength(password, 'utf8') <= BCRYPT_MAX_BYTES) return bcrypt.hash(password, this.cost);
    return SHA256_PREFIX + (await bcrypt.hash(sha256Hex(password), this.cost));
  }

  /**
   * Whether a stored hash is not in Gatehouse's own format (an imported Django hash other than
   * bcrypt_sha256, which is Gatehouse's own): the store replaces it after a successful sign-in.
   */
  needsRehash(hash: string): boolean {
    return !isOwnHash(hash);
  }

  /**
   * Compares `password` with `hash`: Gatehouse's own bcrypt, or any Django format. With no hash (an
   * unknown user, an account without a password) it compares with a dummy hash and says no. A
   * failure returns no sooner than the node's FailureFloor.
   */
  async verify(password: string, hash: string | null | undefined): Promise<boolean> {
    this.dummy ??= bcrypt.hash('gatehouse-timing-equaliser', this.cost);
    const dummy = await this.dummy;
    const startedAt = this.floor.now();
    const ok = await this.check(password, hash ?? null, dummy);
    this.floor.record(this.profileOf(hash ?? null), this.floor.now() - startedAt);
    if (!ok) await this.floor.pad(startedAt);
    return ok;
  }

  /** What the floor groups this verification with: the dummy is Gatehouse's bcrypt at its cost. */
  private profileOf(hash: string | null): string {
    if (hash === null) return `bcrypt ${this.cost}`;
    const own = OWN_HASH.exec(hash);
    return own ? `bcrypt ${Number(own[1])}` : djangoHashProfile(hash);
  }

  private async check(password: string, hash: string | null, dummy: string): Promise<boolean> {
    if (hash === null) {
      await bcrypt.compare(password, dummy);
      return false;
    }
    const own = OWN_HASH.exec(hash);
    if (!own) return verifyDjangoHash(password, hash);
    // A stored cost past the one Django and Gatehouse allow (BCRYPT_COST is at most 15) is refused.
    if (Number(own[1]) > DJANGO_HASH_LIMITS.bcryptCost) return false;
    if (hash.startsWith(SHA256_PREFIX))
      return bcrypt.compare(sha256Hex(password), hash.slice(SHA256_PREFIX.length));
    // A plain bcrypt hash was set from at most 72 bytes: a longer password that shares them is not it.
    const ok = await bcrypt.compare(password, hash);
    return ok && Buffer.byteLength(password, 'utf8') <= BCRYPT_MAX_BYTES;
  }
}
