/**
 * Django's password hashes (django.contrib.auth.hashers), recognised and verified in their own
 * formats, so that accounts imported from Django keep their passwords until the first sign-in
 * replaces the hash with Gatehouse's own (src/accounts/password.ts).
 *
 * Every format is verified with a maintained implementation: Node's crypto (PBKDF2, scrypt, MD5,
 * SHA-1), @node-rs/argon2 (argon2id, argon2i), bcrypt, and unix-crypt-td-js for the traditional DES
 * crypt(3) (the implementation apache-crypt uses). What Django compares as a string (its
 * constant_time_compare of the re-encoded hash) is compared here with crypto.timingSafeEqual.
 *
 * A stored hash names its own cost. An imported one could name any cost, so verification refuses
 * (false, without computing) costs past DJANGO_HASH_LIMITS: a hostile hash cannot make a sign-in take
 * minutes or exhaust memory. describeDjangoHash still names such a hash's format.
 */
import { createHash, pbkdf2, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { verify as argon2Verify } from '@node-rs/argon2';
import bcrypt from 'bcrypt';

// A JavaScript port of Seventh Edition Unix crypt.c (no type declarations of its own). Given the
// password's bytes it reads them as crypt(3) does: up to the first NUL, at most 8, 7 bits each.
const unixCrypt = require('unix-crypt-td-js') as (password: number[], salt: string) => string;

export type DjangoHashFormat =
  | 'pbkdf2_sha256'
  | 'pbkdf2_sha1'
  | 'argon2'
  | 'bcrypt_sha256'
  | 'bcrypt'
  | 'scrypt'
  | 'md5'
  | 'sha1'
  | 'unsalted_md5'
  | 'unsalted_sha1'
  | 'crypt';

/** md5, sha1, unsalted_md5, unsalted_sha1, crypt: imported only with --allow-weak-hashes. */
export const WEAK_DJANGO_FORMATS: ReadonlySet<DjangoHashFormat> = new Set<DjangoHashFormat>([
  'md5',
  'sha1',
  'unsalted_md5',
  'unsalted_sha1',
  'crypt',
]);

/**
 * The highest costs verified. Django's own defaults sit far below them (PBKDF2: 260,000 iterations in
 * 3.2, 1,000,000 in 5.2; argon2: m=102400 KiB, t=2, p=8; scrypt: n=2^14, r=8, p=1; bcrypt: 12). At
 * the limits one verification takes about a second or two on one core.
 */
export const DJANGO_HASH_LIMITS = {
  pbkdf2Iterations: 2_000_000,
  /** KiB; and memory × passes at most argon2MemoryPasses (time grows with both). */
  argon2MemoryKiB: 262_144,
  argon2Passes: 16,
  argon2Parallelism: 64,
  argon2MemoryPasses: 1_048_576,
  /** scrypt's memory is 128·n·r bytes; its time grows with n·r·p. */
  scryptMemoryBytes: 256 * 1024 * 1024,
  scryptWork: 2 ** 21,
  scryptParallelism: 16,
  bcryptCost: 15,
} as const;

type Parsed =
  | { format: 'pbkdf2_sha256' | 'pbkdf2_sha1'; iterations: number; salt: string; hash: string }
  | { format: 'argon2'; phc: string; memory: number; passes: number; parallelism: number }
  | { format: 'bcrypt_sha256' | 'bcrypt'; bcrypt: string; cost: number }
  | { format: 'scrypt'; n: number; salt: string; r: number; p: number; hash: string }
  | { format: 'md5' | 'sha1'; salt: string; hex: string }
  | { format: 'unsalted_md5' | 'unsalted_sha1'; hex: string }
  | { format: 'crypt'; data: string };

const B64 = '[A-Za-z0-9+/]+={0,2}';
const COUNT = '([1-9][0-9]{0,9})';
const PBKDF2 = new RegExp(`^(pbkdf2_sha256|pbkdf2_sha1)\\$${COUNT}\\$([^$]+)\\$(${B64})$`);
// Django stores 'argon2' + the PHC string of argon2-cffi: $argon2id$v=19$m=…,t=…,p=…$salt$hash
// (Django 1.10's first hashes carry no v=, which means version 0x10).
const ARGON2 = new RegExp(
  `^argon2(\\$argon2(?:id|i)\\$(?:v=(?:16|19)\\$)?m=${COUNT},t=${COUNT},p=${COUNT}\\$[A-Za-z0-9+/]+\\$[A-Za-z0-9+/]+)$`,
);
// bcrypt's modular crypt string; $2y$ (PHP's name) is the same algorithm as $2b$.
const BCRYPT = /^(bcrypt_sha256|bcrypt)\$(\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53})$/;
// Django 4.0's ScryptPasswordHasher: scrypt$n$salt$r$p$base64(64-byte key).
const SCRYPT = new RegExp(`^scrypt\\$${COUNT}\\$([^$]+)\\$${COUNT}\\$${COUNT}\\$(${B64})$`);
const SALTED = /^(md5|sha1)\$([^$]*)\$([0-9a-f]+)$/;
const CRYPT = /^crypt\$[^$]*\$([./0-9A-Za-z]{13})$/;

function parse(encoded: string): Parsed | null {
  // identify_hasher: a bare 32-digit MD5, or one with an empty salt, is unsalted_md5; sha1$$ + 40
  // digits is unsalted_sha1 (Django 3.2 hashers.py).
  if (/^[0-9a-f]{32}$/.test(encoded)) return { format: 'unsalted_md5', hex: encoded };
  if (/^md5\$\$[0-9a-f]{32}$/.test(encoded)) return { format: 'unsalted_md5', hex: encoded.slice(5) };
  if (/^sha1\$\$[0-9a-f]{40}$/.test(encoded)) return { format: 'unsalted_sha1', hex: encoded.slice(6) };
  let m: RegExpExecArray | null;
  if ((m = PBKDF2.exec(encoded)))
    return { format: m[1] as 'pbkdf2_sha256', iterations: Number(m[2]), salt: m[3]!, hash: m[4]! };
  if ((m = ARGON2.exec(encoded)))
    return {
      format: 'argon2',
      phc: m[1]!,
      memory: Number(m[2]),
      passes: Number(m[3]),
      parallelism: Number(m[4]),
    };
  if ((m = BCRYPT.exec(encoded))) return { format: m[1] as 'bcrypt', bcrypt: m[2]!, cost: Number(m[3]) };
  if ((m = SCRYPT.exec(encoded)))
    return { format: 'scrypt', n: Number(m[1]), salt: m[2]!, r: Number(m[3]), p: Number(m[4]), hash: m[5]! };
  if ((m = SALTED.exec(encoded)) && m[3]!.length === (m[1] === 'md5' ? 32 : 40))
    return { format: m[1] as 'md5', salt: m[2]!, hex: m[3]! };
  if ((m = CRYPT.exec(encoded))) return { format: 'crypt', data: m[1]! };
  return null;
}

/**
 * The name Django gives the hasher of an encoded password, the text before the first '$', where it
 * looks like one: never the value itself (a plain-text password, a bare hash), which a report of
 * unknown formats would otherwise print.
 */
function algorithmOf(encoded: string): string {
  const name = encoded.includes('$') ? encoded.slice(0, encoded.indexOf('$')) : '';
  return /^[A-Za-z][A-Za-z0-9_]{0,31}$/.test(name) ? name : '(unrecognised)';
}

const KNOWN = new Set<string>([
  'pbkdf2_sha256',
  'pbkdf2_sha1',
  'argon2',
  'bcrypt_sha256',
  'bcrypt',
  'scrypt',
  'md5',
  'sha1',
  'crypt',
]);

/**
 * What an encoded Django password is: a known format (well-formed), unusable ('!…', Django's
 * set_unusable_password, or ''), or unknown. A known algorithm whose encoding is malformed is
 * `unknown`, its algorithm named `<name> (malformed)`: it cannot be verified either.
 */
export function describeDjangoHash(
  encoded: string,
):
  | { kind: 'hash'; format: DjangoHashFormat; weak: boolean }
  | { kind: 'unusable' }
  | { kind: 'unknown'; algorithm: string } {
  if (encoded === '' || encoded.startsWith('!')) return { kind: 'unusable' };
  const parsed = parse(encoded);
  if (parsed) return { kind: 'hash', format: parsed.format, weak: WEAK_DJANGO_FORMATS.has(parsed.format) };
  const algorithm = algorithmOf(encoded);
  return { kind: 'unknown', algorithm: KNOWN.has(algorithm) ? `${algorithm} (malformed)` : algorithm };
}

/** Whether a well-formed hash's costs are within DJANGO_HASH_LIMITS (weak formats have none). */
function withinLimits(parsed: Parsed): boolean {
  const L = DJANGO_HASH_LIMITS;
  switch (parsed.format) {
    case 'pbkdf2_sha256':
    case 'pbkdf2_sha1':
      return parsed.iterations <= L.pbkdf2Iterations;
    case 'argon2':
      return (
        parsed.memory <= L.argon2MemoryKiB &&
        parsed.passes <= L.argon2Passes &&
        parsed.parallelism <= L.argon2Parallelism &&
        parsed.memory * parsed.passes <= L.argon2MemoryPasses
      );
    case 'scrypt': {
      const { n, r, p } = parsed;
      // RFC 7914 §2: N is a power of two greater than 1.
      const powerOfTwo = n > 1 && (n & (n - 1)) === 0;
      return (
        powerOfTwo &&
        p <= L.scryptParallelism &&
        128 * n * r <= L.scryptMemoryBytes &&
        n * r * p <= L.scryptWork
      );
    }
    case 'bcrypt_sha256':
    case 'bcrypt':
      return parsed.cost >= 4 && parsed.cost <= L.bcryptCost;
    default:
      return true;
  }
}

/** Whether `encoded` is a Django hash that verifyDjangoHash can check: well-formed, within the limits. */
export function isVerifiableDjangoHash(encoded: string): boolean {
  const parsed = parse(encoded);
  return parsed !== null && withinLimits(parsed);
}

/**
 * A hash's format and costs, without its salt or digest (e.g. `pbkdf2_sha256 260000`): hashes of one
 * profile take the same time to verify. `unverifiable` for anything verifyDjangoHash refuses at once.
 */
export function djangoHashProfile(encoded: string): string {
  const parsed = parse(encoded);
  if (!parsed || !withinLimits(parsed)) return 'unverifiable';
  switch (parsed.format) {
    case 'pbkdf2_sha256':
    case 'pbkdf2_sha1':
      return `${parsed.format} ${parsed.iterations}`;
    case 'argon2':
      return `argon2 ${parsed.memory},${parsed.passes},${parsed.parallelism}`;
    case 'bcrypt_sha256':
    case 'bcrypt':
      return `bcrypt ${parsed.cost}`;
    case 'scrypt':
      return `scrypt ${parsed.n},${parsed.r},${parsed.p}`;
    default:
      return parsed.format;
  }
}

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (
  password: Buffer,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** Constant-time equality of two strings (of any lengths: a length difference alone says no). */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

const hex = (algorithm: 'md5' | 'sha1', text: string) =>
  createHash(algorithm).update(text, 'utf8').digest('hex');
const utf8 = (text: string) => Buffer.from(text, 'utf8');

async function verifyParsed(password: string, parsed: Parsed): Promise<boolean> {
  switch (parsed.format) {
    case 'pbkdf2_sha256':
    case 'pbkdf2_sha1': {
      // PBKDF2 (RFC 8018 §5.2) with HMAC-SHA256/SHA1; Django's key length is the digest's size.
      const [digest, length] = parsed.format === 'pbkdf2_sha256' ? ['sha256', 32] : ['sha1', 20];
      const key = await pbkdf2Async(utf8(password), utf8(parsed.salt), parsed.iterations, length, digest);
      return sameText(key.toString('base64'), parsed.hash);
    }
    case 'argon2':
      // The PHC string carries variant, version, costs, salt and hash; the library reads them all.
      return argon2Verify(parsed.phc, utf8(password));
    case 'bcrypt_sha256':
    case 'bcrypt': {
      // bcrypt_sha256 hashes the hex SHA-256 digest of the password (Django ticket #20138); plain
      // bcrypt reads the first 72 bytes of the password itself, as Django's did when it was set.
      const secret = parsed.format === 'bcrypt_sha256' ? hex256(password) : password;
      return bcrypt.compare(secret, parsed.bcrypt.replace(/^\$2y\$/, '$2b$'));
    }
    case 'scrypt': {
      const { n, r, p } = parsed;
      // Node refuses to use more than maxmem: scrypt needs 128·r·(N + 2) bytes for V and 128·r·p for
      // B (RFC 7914 §5), which withinLimits has bounded; 1 MiB over that for OpenSSL's own use.
      const maxmem = 128 * r * (n + p + 2) + 1024 * 1024;
      const key = await scryptAsync(utf8(password), utf8(parsed.salt), 64, { N: n, r, p, maxmem });
      return sameText(key.toString('base64'), parsed.hash);
    }
    case 'md5':
    case 'sha1':
      return sameText(hex(parsed.format, parsed.salt + password), parsed.hex);
    case 'unsalted_md5':
      return sameText(hex('md5', password), parsed.hex);
    case 'unsalted_sha1':
      return sameText(hex('sha1', password), parsed.hex);
    case 'crypt':
      // crypt(3) takes the salt from the stored value's first two characters.
      return sameText(unixCrypt([...utf8(password)], parsed.data), parsed.data);
  }
}

const hex256 = (password: string) => createHash('sha256').update(password, 'utf8').digest('hex');

/** Verifies in the hash's own format; false for a wrong password or an unknown/malformed hash; never throws. */
export async function verifyDjangoHash(password: string, encoded: string): Promise<boolean> {
  if (typeof password !== 'string' || typeof encoded !== 'string') return false;
  const parsed = parse(encoded);
  if (!parsed || !withinLimits(parsed)) return false;
  try {
    return await verifyParsed(password, parsed);
  } catch {
    // A malformed value the patterns let through (e.g. a salt argon2 cannot decode): not verifiable.
    // The error is dropped on purpose: it could quote the hash.
    return false;
  }
}
