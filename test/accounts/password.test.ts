/**
 * Passwords: the rules (one place, the policy of PASSWORD_MIN_LENGTH) and the hasher, which keeps
 * every byte of a long password (bcrypt alone reads 72) in Django's bcrypt_sha256 format.
 */
import { createHash } from 'node:crypto';
import bcrypt from 'bcrypt';
import { PasswordHasher } from '../../src/accounts/password';
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
