/**
 * Django's password hashes (src/security/django-hashes.ts) against hashes Django itself makes at run
 * time (django-vectors.ts): each format recognised and verified with the right password, ASCII and
 * not, refused with a wrong one; malformed and unusable values recognised as such and never thrown
 * on; costs past the limits refused without being computed, yet still named.
 */
import {
  DJANGO_HASH_LIMITS,
  WEAK_DJANGO_FORMATS,
  describeDjangoHash,
  isVerifiableDjangoHash,
  verifyDjangoHash,
  type DjangoHashFormat,
} from '../../src/security/django-hashes';
import { djangoAvailable, itWithDjango, makeDjangoHashes, type DjangoVector } from './django-vectors';

const ASCII = 'correct horse battery';
const NON_ASCII = 'pässwörd ☃ 密码 😀';
/** Past bcrypt's 72 bytes: bcrypt_sha256 keeps them all, Django's plain bcrypt read the first 72. */
const LONG = `${'ü'.repeat(40)}-tail`;

/** Django's hasher name (or the test script's) -> the format Gatehouse names. */
const FORMATS: Record<string, DjangoHashFormat> = {
  pbkdf2_sha256: 'pbkdf2_sha256',
  pbkdf2_sha1: 'pbkdf2_sha1',
  argon2: 'argon2',
  argon2i: 'argon2',
  argon2i_v16: 'argon2',
  bcrypt_sha256: 'bcrypt_sha256',
  bcrypt: 'bcrypt',
  scrypt: 'scrypt',
  md5: 'md5',
  sha1: 'sha1',
  unsalted_md5: 'unsalted_md5',
  unsalted_sha1: 'unsalted_sha1',
  crypt: 'crypt',
};

let vectors: DjangoVector[] = [];
const byHasher = (hasher: string) => vectors.filter((v) => v.hasher === hasher);

beforeAll(async () => {
  if (!djangoAvailable) return;
  const requests: [string, string][] = [];
  for (const hasher of Object.keys(FORMATS)) for (const pw of [ASCII, NON_ASCII]) requests.push([hasher, pw]);
  requests.push(['bcrypt_sha256', LONG], ['bcrypt', LONG], ['pbkdf2_sha256', LONG], ['unusable', '']);
  vectors = await makeDjangoHashes(requests);
}, 120_000);

describe('hashes made by Django', () => {
  itWithDjango('are the formats asked for, and Django verifies them itself', () => {
    expect(vectors.length).toBe(Object.keys(FORMATS).length * 2 + 4);
    for (const v of vectors)
      if (v.django_verifies !== null) expect([v.hasher, v.django_verifies]).toEqual([v.hasher, true]);
    expect(byHasher('argon2')[0]!.encoded).toMatch(/^argon2\$argon2id\$v=19\$m=102400,t=2,p=8\$/);
    expect(byHasher('argon2i')[0]!.encoded).toMatch(/^argon2\$argon2i\$v=19\$/);
    expect(byHasher('argon2i_v16')[0]!.encoded).toMatch(/^argon2\$argon2i\$v=16\$/);
    expect(byHasher('pbkdf2_sha256')[0]!.encoded).toMatch(/^pbkdf2_sha256\$260000\$/);
    expect(byHasher('unsalted_md5')[0]!.encoded).toMatch(/^[0-9a-f]{32}$/);
    expect(byHasher('unsalted_sha1')[0]!.encoded).toMatch(/^sha1\$\$[0-9a-f]{40}$/);
    expect(byHasher('crypt')[0]!.encoded).toMatch(/^crypt\$\$[./0-9A-Za-z]{13}$/);
  });

  itWithDjango.each(Object.keys(FORMATS))(
    '%s: named, verified, and a wrong password refused',
    async (hasher) => {
      const format = FORMATS[hasher]!;
      const found = byHasher(hasher).filter((v) => v.password !== LONG);
      expect(found.length).toBeGreaterThanOrEqual(2);
      for (const { password, encoded } of found) {
        expect(describeDjangoHash(encoded)).toEqual({
          kind: 'hash',
          format,
          weak: WEAK_DJANGO_FORMATS.has(format),
        });
        expect(isVerifiableDjangoHash(encoded)).toBe(true);
        expect(await verifyDjangoHash(password, encoded)).toBe(true);
        // Changed at the front: crypt(3) reads only the first 8 bytes, so a change past them would pass.
        expect(await verifyDjangoHash(`X${password}`, encoded)).toBe(false);
        expect(await verifyDjangoHash(password.slice(1), encoded)).toBe(false);
        expect(await verifyDjangoHash('', encoded)).toBe(false);
      }
    },
  );

  itWithDjango('only the legacy formats are weak', () => {
    expect([...WEAK_DJANGO_FORMATS].sort()).toEqual([
      'crypt',
      'md5',
      'sha1',
      'unsalted_md5',
      'unsalted_sha1',
    ]);
  });

  itWithDjango(
    'a long password: every byte counts in bcrypt_sha256 and PBKDF2, 72 in bcrypt as Django',
    async () => {
      const [sha256] = byHasher('bcrypt_sha256').filter((v) => v.password === LONG);
      const [plain] = byHasher('bcrypt').filter((v) => v.password === LONG);
      const [pbkdf2] = byHasher('pbkdf2_sha256').filter((v) => v.password === LONG);
      const changedTail = `${'ü'.repeat(40)}-tale`;
      expect(await verifyDjangoHash(LONG, sha256!.encoded)).toBe(true);
      expect(await verifyDjangoHash(changedTail, sha256!.encoded)).toBe(false);
      expect(await verifyDjangoHash(LONG, pbkdf2!.encoded)).toBe(true);
      expect(await verifyDjangoHash(changedTail, pbkdf2!.encoded)).toBe(false);
      // Django's BCryptPasswordHasher hashed the first 72 bytes (40 × 'ü' is 80 bytes): it verifies both.
      expect(await verifyDjangoHash(LONG, plain!.encoded)).toBe(true);
      expect(await verifyDjangoHash(changedTail, plain!.encoded)).toBe(true);
    },
  );

  itWithDjango('the unsalted MD5 also verifies in its md5$$ form, as Django accepts it', async () => {
    const { password, encoded } = byHasher('unsalted_md5')[0]!;
    expect(describeDjangoHash(`md5$$${encoded}`)).toEqual({
      kind: 'hash',
      format: 'unsalted_md5',
      weak: true,
    });
    expect(await verifyDjangoHash(password, `md5$$${encoded}`)).toBe(true);
    expect(await verifyDjangoHash(password, encoded.toUpperCase())).toBe(false);
  });

  itWithDjango('an unusable password (make_password(None)) is unusable, and verifies nothing', async () => {
    const { encoded } = byHasher('unusable')[0]!;
    expect(encoded.startsWith('!')).toBe(true);
    expect(describeDjangoHash(encoded)).toEqual({ kind: 'unusable' });
    expect(await verifyDjangoHash('', encoded)).toBe(false);
    expect(await verifyDjangoHash(encoded, encoded)).toBe(false);
  });

  itWithDjango('a hash changed in any one place no longer verifies', async () => {
    for (const hasher of ['pbkdf2_sha256', 'argon2', 'scrypt', 'bcrypt', 'md5']) {
      const { password, encoded } = byHasher(hasher)[0]!;
      const last = encoded.at(-2) === 'A' ? 'B' : 'A';
      const tampered = `${encoded.slice(0, -2)}${last}${encoded.at(-1)}`;
      expect([hasher, await verifyDjangoHash(password, tampered)]).toEqual([hasher, false]);
    }
  });
});

describe('costs past the limits', () => {
  /** Each as Django would write it, with a cost no sign-in should spend (the hashes are dummies). */
  const HOSTILE: [DjangoHashFormat, string][] = [
    ['pbkdf2_sha256', `pbkdf2_sha256$${DJANGO_HASH_LIMITS.pbkdf2Iterations + 1}$salt$${'A'.repeat(43)}=`],
    ['pbkdf2_sha1', 'pbkdf2_sha1$999999999$salt$AAAAAAAAAAAAAAAAAAAAAAAAAAA='],
    ['argon2', 'argon2$argon2id$v=19$m=4194304,t=2,p=8$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAA'],
    ['argon2', 'argon2$argon2id$v=19$m=102400,t=1000,p=8$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAA'],
    ['argon2', 'argon2$argon2id$v=19$m=262144,t=16,p=8$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAA'],
    ['scrypt', `scrypt$${2 ** 30}$salt$8$1$${'A'.repeat(86)}==`],
    ['scrypt', `scrypt$${2 ** 14}$salt$8$1000$${'A'.repeat(86)}==`],
    ['scrypt', `scrypt$${2 ** 20}$salt$8$8$${'A'.repeat(86)}==`],
    ['scrypt', `scrypt$16383$salt$8$1$${'A'.repeat(86)}==`],
    ['bcrypt', `bcrypt$$2b$31$${'a'.repeat(53)}`],
    ['bcrypt_sha256', `bcrypt_sha256$$2b$16$${'a'.repeat(53)}`],
  ];

  it.each(HOSTILE)('%s: named, refused at once', async (format, encoded) => {
    expect(describeDjangoHash(encoded)).toEqual({ kind: 'hash', format, weak: false });
    expect(isVerifiableDjangoHash(encoded)).toBe(false);
    const started = performance.now();
    expect(await verifyDjangoHash('password', encoded)).toBe(false);
    expect(performance.now() - started).toBeLessThan(50);
  });
});

describe('values that are not hashes', () => {
  it.each([
    ['', { kind: 'unusable' }],
    ['!', { kind: 'unusable' }],
    ['!abcdefghijklmnopqrstuvwxyz0123456789ABCD', { kind: 'unusable' }],
    ['pbkdf2_sha256$260000$salt', { kind: 'unknown', algorithm: 'pbkdf2_sha256 (malformed)' }],
    ['pbkdf2_sha256$abc$salt$AAAA', { kind: 'unknown', algorithm: 'pbkdf2_sha256 (malformed)' }],
    ['pbkdf2_sha256$0$salt$AAAA', { kind: 'unknown', algorithm: 'pbkdf2_sha256 (malformed)' }],
    ['pbkdf2_sha256$260000$$AAAA', { kind: 'unknown', algorithm: 'pbkdf2_sha256 (malformed)' }],
    ['argon2$argon2d$v=19$m=512,t=2,p=2$c2FsdA$AAAA', { kind: 'unknown', algorithm: 'argon2 (malformed)' }],
    ['argon2$argon2id$v=19$m=512,t=2$c2FsdA$AAAA', { kind: 'unknown', algorithm: 'argon2 (malformed)' }],
    ['bcrypt$$2b$12$short', { kind: 'unknown', algorithm: 'bcrypt (malformed)' }],
    ['bcrypt_sha256$2b$12$' + 'a'.repeat(53), { kind: 'unknown', algorithm: 'bcrypt_sha256 (malformed)' }],
    ['scrypt$16384$salt$8$AAAA', { kind: 'unknown', algorithm: 'scrypt (malformed)' }],
    ['md5$salt$abc', { kind: 'unknown', algorithm: 'md5 (malformed)' }],
    ['md5$salt$' + 'G'.repeat(32), { kind: 'unknown', algorithm: 'md5 (malformed)' }],
    ['sha1$salt$' + 'a'.repeat(32), { kind: 'unknown', algorithm: 'sha1 (malformed)' }],
    ['crypt$$short', { kind: 'unknown', algorithm: 'crypt (malformed)' }],
    ['crypt$$$6$salt$' + 'a'.repeat(86), { kind: 'unknown', algorithm: 'crypt (malformed)' }],
    ['sha256$salt$' + 'a'.repeat(64), { kind: 'unknown', algorithm: 'sha256' }],
    // Never the value itself as the name: it may be a plain-text password or a bare hash.
    ['plaintext password', { kind: 'unknown', algorithm: '(unrecognised)' }],
    ['A'.repeat(32), { kind: 'unknown', algorithm: '(unrecognised)' }],
    ['my secret$x', { kind: 'unknown', algorithm: '(unrecognised)' }],
    ['$2b$12$' + 'a'.repeat(53), { kind: 'unknown', algorithm: '(unrecognised)' }],
  ] as const)('%j is %j, and verifies nothing', async (encoded, expected) => {
    expect(describeDjangoHash(encoded)).toEqual(expected);
    expect(await verifyDjangoHash('password', encoded)).toBe(false);
    expect(await verifyDjangoHash(encoded, encoded)).toBe(false);
  });

  it('a salt argon2 cannot decode, or a value of the wrong type, is false and nothing thrown', async () => {
    // Well-formed to the pattern, but a one-character salt is no valid base64 for the library.
    const odd = 'argon2$argon2id$v=19$m=512,t=2,p=2$c$AAAAAAAAAAAAAAAAAAAAAA';
    expect(describeDjangoHash(odd)).toEqual({ kind: 'hash', format: 'argon2', weak: false });
    await expect(verifyDjangoHash('password', odd)).resolves.toBe(false);
    await expect(verifyDjangoHash(undefined as unknown as string, 'md5$$' + 'a'.repeat(32))).resolves.toBe(
      false,
    );
    await expect(verifyDjangoHash('password', null as unknown as string)).resolves.toBe(false);
  });
});
