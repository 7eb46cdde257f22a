/**
 * Passwords: the rules (one place, the policy of PASSWORD_MIN_LENGTH) and the hasher, which keeps
 * every byte of a long password (bcrypt alone reads 72) in Django's bcrypt_sha256 format, tells its
 * own hashes from imported ones, and holds every failure to the node's floor.
 */
import { createHash } from 'node:crypto';
import bcrypt from 'bcrypt';
import { FailureFloor, PasswordHasher } from '../../src/accounts/password';
import {
  DEFAULT_PASSWORD_POLICY,
  PasswordRuleError,
  checkPasswordRules,
  passwordProblem,
} from '../../src/accounts/password-rules';

const hasher = new PasswordHasher(4);

describe('the rules', () => {
  it('counts characters, not bytes, between 8 and 128', () => {
    expect(passwordProblem(DEFAULT_PASSWORD_POLICY, 'seven77')).toBe('must be at least 8 characters');
    expect(passwordProblem(DEFAULT_PASSWORD_POLICY, 'eight888')).toBeNull();
    // Eight characters of four bytes each.
    expect(passwordProblem(DEFAULT_PASSWORD_POLICY, '😀'.repeat(8))).toBeNull();
    expect(passwordProblem(DEFAULT_PASSWORD_POLICY, 'x'.repeat(128))).toBeNull();
    expect(passwordProblem(DEFAULT_PASSWORD_POLICY, 'x'.repeat(129))).toBe('must be at most 128 characters');
    expect(passwordProblem(DEFAULT_PASSWORD_POLICY, 'abcdefgh\0')).toBe('must not contain U+0000');
    expect(passwordProblem({ minLength: 12, maxLength: 128 }, 'elevenchars')).toBe(
      'must be at least 12 characters',
    );
  });

  it('throws a 400 that names the field it is given', () => {
    let thrown: unknown;
    try {
      checkPasswordRules(DEFAULT_PASSWORD_POLICY, 'short');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PasswordRuleError);
    const error = thrown as PasswordRuleError;
    expect({ status: error.status, code: error.code, details: error.details }).toEqual({
      status: 400,
      code: 'invalid_request',
      details: { password: 'must be at least 8 characters' },
    });
    expect(error.forField('new_password').details).toEqual({ new_password: 'must be at least 8 characters' });
  });
});

describe('the hasher', () => {
  it('hashes a password of at most 72 bytes with plain bcrypt', async () => {
    const hash = await hasher.hash('x'.repeat(72));
    expect(hash).toMatch(/^\$2b\$04\$/);
    expect(await hasher.verify('x'.repeat(72), hash)).toBe(true);
    // bcrypt alone would accept it: the first 72 bytes are the same.
    expect(await hasher.verify('x'.repeat(73), hash)).toBe(false);
  });

  it('keeps every byte of a longer password (bcrypt_sha256, as Django writes it)', async () => {
    const long = `${'ü'.repeat(100)}tail`;
    const hash = await hasher.hash(long);
    expect(hash).toMatch(/^bcrypt_sha256\$\$2b\$04\$/);
    expect(await hasher.verify(long, hash)).toBe(true);
    expect(await hasher.verify(`${'ü'.repeat(100)}tale`, hash)).toBe(false);
    // The format Django's BCryptSHA256PasswordHasher verifies: bcrypt of the hex SHA-256 digest.
    const digest = createHash('sha256').update(long, 'utf8').digest('hex');
    expect(await bcrypt.compare(digest, hash.slice('bcrypt_sha256$'.length))).toBe(true);
  });

  it('refuses U+0000 and says no for no hash', async () => {
    await expect(hasher.hash('abc\0defgh')).rejects.toThrow('U+0000');
    expect(await hasher.verify('anything', undefined)).toBe(false);
  });
});

describe('imported hashes', () => {
  it('needs a rehash for every hash not in Gatehouse’s own bcrypt formats', async () => {
    expect(hasher.needsRehash(await hasher.hash('short one'))).toBe(false);
    expect(hasher.needsRehash(await hasher.hash('x'.repeat(100)))).toBe(false);
    // Django's bcrypt_sha256 is the same format: kept as it is.
    expect(hasher.needsRehash(`bcrypt_sha256$$2b$12$${'a'.repeat(53)}`)).toBe(false);
    for (const foreign of [
      `bcrypt$$2b$12$${'a'.repeat(53)}`,
      'pbkdf2_sha256$260000$salt$hash',
      'argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA',
      'md5$salt$0123456789abcdef0123456789abcdef',
      '0123456789abcdef0123456789abcdef',
      `$2y$10$${'a'.repeat(53)}`,
    ])
      expect([foreign, hasher.needsRehash(foreign)]).toEqual([foreign, true]);
  });

  it('says no for an account without a password (null), and for a value that is no hash', async () => {
    expect(await hasher.verify('anything', null)).toBe(false);
    expect(await hasher.verify('anything', '')).toBe(false);
    expect(await hasher.verify('anything', '!unusable')).toBe(false);
    expect(await hasher.verify('anything', 'not a hash at all')).toBe(false);
  });

  it('refuses a bcrypt cost past 15 without computing it', async () => {
    const started = performance.now();
    expect(
      await new PasswordHasher(4, new FailureFloor({ capMs: 0 })).verify('x', `$2b$20$${'a'.repeat(53)}`),
    ).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('the failure floor', () => {
  /** A floor on a clock the test moves, recording the waits it asks for instead of sleeping. */
  function manual(options: { window?: number; capMs?: number } = {}) {
    let clock = 0;
    const waits: number[] = [];
    const floor = new FailureFloor({
      ...options,
      now: () => clock,
      wait: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });
    return { floor, waits, advance: (ms: number) => (clock += ms), at: () => clock };
  }

  it('holds a failure until the slowest profile’s typical verification time has passed', async () => {
    const { floor, waits, advance, at } = manual();
    expect(floor.floorMs).toBe(0);
    floor.record('bcrypt 4', 5);
    for (const ms of [120, 100, 130]) floor.record('argon2 102400,2,8', ms);
    expect(floor.floorMs).toBe(120);
    const started = at();
    advance(30);
    await floor.pad(started);
    expect(waits).toEqual([90]);
    // A failure that took longer than the floor waits for nothing.
    const later = at();
    advance(200);
    await floor.pad(later);
    expect(waits).toEqual([90]);
  });

  it('is not raised by one slow moment, forgets samples past its window, and stays under its cap', () => {
    const { floor } = manual({ window: 3, capMs: 1000 });
    floor.record('bcrypt 10', 70);
    floor.record('bcrypt 10', 70);
    floor.record('bcrypt 10', 2500);
    expect(floor.floorMs).toBe(70);
    floor.record('bcrypt 10', 2500);
    floor.record('bcrypt 10', 2500);
    expect(floor.floorMs).toBe(1000);
    for (let i = 0; i < 3; i += 1) floor.record('bcrypt 10', 60);
    expect(floor.floorMs).toBe(60);
    // A profile seen once sets the floor from its first sample on.
    floor.record('pbkdf2_sha256 260000', 90);
    expect(floor.floorMs).toBe(90);
  });

  it('the hasher pads its failures to the floor, and never its successes', async () => {
    const waits: number[] = [];
    const floor = new FailureFloor({
      wait: async (ms) => {
        waits.push(ms);
      },
    });
    const padded = new PasswordHasher(4, floor);
    const hash = await padded.hash('right-password');
    floor.record('argon2 102400,2,8', 500);
    expect(await padded.verify('right-password', hash)).toBe(true);
    expect(waits).toEqual([]);
    expect(await padded.verify('wrong-password', hash)).toBe(false);
    expect(await padded.verify('wrong-password', null)).toBe(false);
    expect(await padded.verify('wrong-password', 'md5$salt$0123456789abcdef0123456789abcdef')).toBe(false);
    expect(waits).toHaveLength(3);
    // Each failure took a few milliseconds of bcrypt (cost 4) at most; the rest of the 500 is waited.
    for (const ms of waits) {
      expect(ms).toBeGreaterThan(350);
      expect(ms).toBeLessThanOrEqual(500);
    }
  });
});
