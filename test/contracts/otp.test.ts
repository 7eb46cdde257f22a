/**
 * The one-time-code store's contract (src/accounts/otp.ts): what it must do on any database. A code
 * is six digits, kept only as a keyed hash, valid until it expires, for one use, and void after too
 * many wrong tries; a new request replaces it, at most once per resend interval per name, for names
 * without an account too (so the answers tell nothing); of concurrent requests one is accepted, and
 * of concurrent exchanges of one code exactly one wins, on one node or two.
 */
import { deleteStaleOtpBatch, OtpStore, type OtpRequestResult } from '../../src/accounts/otp';
import { AccountStore } from '../../src/accounts/store';
import { itAcrossPools, storeContract } from './harness';

const POLICY = { ttlSeconds: 300, maxAttempts: 3, resendIntervalSeconds: 30 };
const LOCKOUT = { maxAttempts: 5, windowSeconds: 900, durationSeconds: 900 };
const SECRET_KEY = 'a-test-secret-key-of-more-than-thirty-two-characters';

const stores = storeContract((db) => {
  const accounts = new AccountStore(db, { bcryptCost: 4, lockout: LOCKOUT });
  return { accounts, otps: new OtpStore(db, accounts, POLICY, SECRET_KEY) };
});
const otps = () => stores.store.otps;

let named = 0;
/** A fresh account per test: the resend interval and the lockout are per name. */
async function newAccount(options: { disabled?: boolean } = {}) {
  named += 1;
  return stores.store.accounts.create({ username: `otp-${named}`, password: 'irrelevant-pass', ...options });
}

const seconds = (n: number, from = new Date()) => new Date(from.getTime() + n * 1000);

/** The code a request issued (the test fails when none was). */
function codeOf(result: OtpRequestResult): string {
  if (result.status !== 'accepted' || !result.issued)
    throw new Error(`no code issued: ${JSON.stringify(result)}`);
  return result.issued.code;
}

const otherThan = (code: string) => (code === '000000' ? '000001' : '000000');

describe('request', () => {
  it('issues six digits for an account, expiring after the TTL, and stores only a keyed hash', async () => {
    const account = await newAccount();
    const now = new Date();
    const result = await otps().request(account.username, now);
    expect(result).toEqual({
      status: 'accepted',
      issued: { account, code: expect.stringMatching(/^\d{6}$/), expiresAt: seconds(POLICY.ttlSeconds, now) },
    });
    const row = await stores.db('otp_codes').where('username', account.username).first();
    expect(row.code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(codeOf(result));
  });

  it('accepts a name without an account alike, issuing nothing, and keeps its resend interval', async () => {
    const now = new Date();
    expect(await otps().request('no-account-here', now)).toEqual({ status: 'accepted', issued: null });
    expect(await otps().request('No-Account-Here', seconds(1, now))).toEqual({
      status: 'throttled',
      retryAfterSeconds: POLICY.resendIntervalSeconds - 1,
    });
  });

  it('writes nothing for a name no account can have', async () => {
    const before = await stores.db('otp_codes').count<{ n: string }[]>({ n: '*' });
    for (const name of ['a\u0000b', 'x'.repeat(151), '  '])
      expect(await otps().request(name)).toEqual({ status: 'accepted', issued: null });
    expect(await stores.db('otp_codes').count<{ n: string }[]>({ n: '*' })).toEqual(before);
  });

  it('issues nothing for a disabled account or a locked name', async () => {
    const disabled = await newAccount({ disabled: true });
    expect(await otps().request(disabled.username)).toEqual({ status: 'accepted', issued: null });
    const locked = await newAccount();
    const throttle = stores.store.accounts.throttle;
    for (let i = 0; i < LOCKOUT.maxAttempts; i += 1) {
      const reservation = await throttle.reserve(locked.username);
      if (reservation.ok) await throttle.fail(locked.username, reservation);
    }
    expect(await otps().request(locked.username)).toEqual({ status: 'accepted', issued: null });
  });

  it('refuses another request within the resend interval, then replaces the code', async () => {
    const account = await newAccount();
    const now = new Date();
    const first = codeOf(await otps().request(account.username, now));
    const early = await otps().request(account.username.toUpperCase(), seconds(10, now));
    expect(early).toEqual({ status: 'throttled', retryAfterSeconds: 20 });
    const later = seconds(POLICY.resendIntervalSeconds, now);
    const second = codeOf(await otps().request(account.username, later));
    if (second !== first)
      expect(await otps().authenticate(account.username, first, later)).toEqual({
        ok: false,
        reason: 'invalid_code',
      });
    expect(await otps().authenticate(account.username, second, later)).toEqual({ ok: true, account });
  });

  it('accepts exactly one of concurrent requests for one name', async () => {
    const account = await newAccount();
    const results = await Promise.all(Array.from({ length: 5 }, () => otps().request(account.username)));
    expect(results.filter((r) => r.status === 'accepted')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'throttled')).toHaveLength(4);
  });
});

describe('authenticate', () => {
  it('exchanges the right code for its account once, the name in any case and the code trimmed', async () => {
    const account = await newAccount();
    const code = codeOf(await otps().request(account.username));
    expect(await otps().authenticate(account.username.toUpperCase(), ` ${code} `)).toEqual({
      ok: true,
      account,
    });
    expect(await otps().authenticate(account.username, code)).toEqual({ ok: false, reason: 'invalid_code' });
  });

  it('answers a wrong code, an expired one and an unknown name alike', async () => {
    const account = await newAccount();
    const now = new Date();
    const code = codeOf(await otps().request(account.username, now));
    const wrong = await otps().authenticate(account.username, otherThan(code), now);
    expect(wrong).toEqual({ ok: false, reason: 'invalid_code' });
    expect(await otps().authenticate('nobody-with-a-code', code, now)).toEqual(wrong);
    expect(await otps().authenticate(account.username, code, seconds(POLICY.ttlSeconds, now))).toEqual(wrong);
  });

  it('voids the code after maxAttempts wrong tries', async () => {
    const account = await newAccount();
    const code = codeOf(await otps().request(account.username));
    for (let i = 0; i < POLICY.maxAttempts; i += 1)
      await otps().authenticate(account.username, otherThan(code));
    expect(await otps().authenticate(account.username, code)).toEqual({ ok: false, reason: 'invalid_code' });
  });

  it('refuses a locked name before the code is looked at, and leaves the code unspent', async () => {
    const account = await newAccount();
    const code = codeOf(await otps().request(account.username));
    const wrongTries = LOCKOUT.maxAttempts - POLICY.maxAttempts;
    const throttle = stores.store.accounts.throttle;
    // Failures of the password sign-in count towards the same lock.
    for (let i = 0; i < LOCKOUT.maxAttempts - wrongTries; i += 1) {
      const reservation = await throttle.reserve(account.username);
      if (reservation.ok) await throttle.fail(account.username, reservation);
    }
    for (let i = 0; i < wrongTries - 1; i += 1) await otps().authenticate(account.username, otherThan(code));
    const locked = await otps().authenticate(account.username, otherThan(code));
    expect(locked).toEqual({ ok: false, reason: 'locked', lockedUntil: expect.any(Date) });
    expect(await otps().authenticate(account.username, code)).toMatchObject({ ok: false, reason: 'locked' });
    await throttle.reset(account.username);
    expect(await otps().authenticate(account.username, code)).toEqual({ ok: true, account });
  });

  it('answers disabled for the right code of an account disabled since, and spends the code', async () => {
    const account = await newAccount();
    const code = codeOf(await otps().request(account.username));
    await stores.store.accounts.setDisabled(account.id, true);
    expect(await otps().authenticate(account.username, code)).toEqual({ ok: false, reason: 'disabled' });
    await stores.store.accounts.setDisabled(account.id, false);
    expect(await otps().authenticate(account.username, code)).toEqual({ ok: false, reason: 'invalid_code' });
  });

  it('lets exactly one of concurrent exchanges of one code win', async () => {
    const account = await newAccount();
    const code = codeOf(await otps().request(account.username));
    const results = await Promise.all(
      Array.from({ length: 4 }, () => otps().authenticate(account.username, code)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    for (const lost of results.filter((r) => !r.ok))
      expect(lost).toEqual({ ok: false, reason: 'invalid_code' });
  });

  itAcrossPools('lets exactly one of two nodes exchange one code', async () => {
    const account = await newAccount();
    const code = codeOf(await otps().request(account.username));
    const results = await Promise.all([
      otps().authenticate(account.username, code),
      stores.other!.otps.authenticate(account.username, code),
    ]);
    expect(results.map((r) => r.ok).sort()).toEqual([false, true]);
  });
});

describe('purge', () => {
  it('deletes rows whose code expired and whose resend interval is over, and keeps the rest', async () => {
    const stale = await newAccount();
    const fresh = await newAccount();
    await otps().request(stale.username, seconds(-2 * 3600));
    await otps().request(fresh.username);
    expect(await deleteStaleOtpBatch(stores.db, 1000)).toBeGreaterThanOrEqual(1);
    expect(await stores.db('otp_codes').where('username', stale.username).first()).toBeUndefined();
    expect(await stores.db('otp_codes').where('username', fresh.username).first()).toBeDefined();
  });
});
