/**
 * The second-factor store's contract (src/accounts/mfa/store.ts with totp.ts and recovery-codes.ts):
 * what it must do on any database. An authenticator app is pending until a first right code, its
 * secret is stored sealed, a code is accepted within one step either way and each accepted step once
 * (RFC 6238 §5.2); ten recovery codes come with it, stored as keyed hashes, each good once; wrong
 * codes count towards the sign-in lockout; and every compare-and-set has exactly one winner among
 * concurrent callers (a race is a test case), on one node or two.
 */
import { generate } from 'otplib';
import { RECOVERY_CODE_COUNT } from '../../src/accounts/mfa/recovery-codes';
import { MfaStore } from '../../src/accounts/mfa/store';
import { AccountStore } from '../../src/accounts/store';
import type { Database } from '../../src/db/database';
import { itAcrossPools, storeContract } from './harness';

const LOCKOUT = { maxAttempts: 5, windowSeconds: 900, durationSeconds: 900 };
const SECRET_KEY = 'a-test-secret-key-of-more-than-thirty-two-characters';

/** Records which accounts the store asked to revoke (the node passes the provider's payload purge). */
const revoked: string[] = [];

const stores = storeContract((db: Database) => {
  const accounts = new AccountStore(db, { bcryptCost: 4, lockout: LOCKOUT });
  const mfa = new MfaStore(db, {
    secretKey: SECRET_KEY,
    issuerLabel: 'id.example.test',
    throttle: accounts.throttle,
    revokeState: async (_trx, accountId) => {
      revoked.push(accountId);
      return 0;
    },
  });
  return { accounts, mfa };
});
const mfa = () => stores.store.mfa;

let named = 0;
/** A fresh account per test: the lockout is per name. */
async function newAccount() {
  named += 1;
  return stores.store.accounts.create({ username: `mfa-${named}`, password: 'irrelevant-pass' });
}

const now = () => Math.floor(Date.now() / 1000);
/** The app's code for the step `offset` steps from now (30 s each). */
const codeAt = (secret: string, offset = 0) => generate({ secret, epoch: now() + offset * 30 });

/** An account with an active authenticator app: its secret and its recovery codes. */
async function enrolled() {
  const account = await newAccount();
  const enrollment = await mfa().startTotp(account);
  if (!enrollment) throw new Error('no enrollment started');
  const recoveryCodes = await mfa().confirmTotp(account.id, await codeAt(enrollment.secret));
  if (!recoveryCodes) throw new Error('the first code was refused');
  return { account, secret: enrollment.secret, recoveryCodes };
}

/** A six-digit code that is none of the app's codes within the window. */
async function wrongCode(secret: string): Promise<string> {
  const window = await Promise.all([-1, 0, 1].map((offset) => codeAt(secret, offset)));
  for (let n = 0; ; n += 1) {
    const code = String(n).padStart(6, '0');
    if (!window.includes(code)) return code;
  }
}

const totpRow = (accountId: string) => stores.db('mfa_totp').where('account_id', accountId).first();
const recoveryRows = (accountId: string) => stores.db('mfa_recovery_codes').where('account_id', accountId);

describe('enrollment', () => {
  it('starts pending, with an otpauth URI, a QR code and the secret sealed in the row', async () => {
    const account = await newAccount();
    const enrollment = await mfa().startTotp(account);
    expect(enrollment).toEqual({
      secret: expect.stringMatching(/^[A-Z2-7]{16,}$/),
      otpauthUri: expect.stringMatching(/^otpauth:\/\/totp\//),
      qrSvg: expect.stringContaining('<svg'),
    });
    const uri = new URL(enrollment!.otpauthUri);
    expect(uri.searchParams.get('secret')).toBe(enrollment!.secret);
    expect(uri.searchParams.get('issuer')).toBe('id.example.test');
    expect(decodeURIComponent(uri.pathname)).toContain(account.username);
    const row = await totpRow(account.id);
    expect(row.status).toBe('pending');
    expect(row.secret_sealed).toMatch(/^v1\./);
    expect(row.secret_sealed).not.toContain(enrollment!.secret);
    expect(JSON.stringify(row)).not.toContain(enrollment!.secret);
    expect(await mfa().summary(account.id)).toEqual({
      totp: { status: 'pending', createdAt: expect.any(Date), activatedAt: null },
      passkeys: [],
      recoveryCodesRemaining: 0,
    });
    expect(await mfa().hasSecondFactor(account.id)).toBe(false);
  });

  it('refuses a wrong first code and changes nothing: still pending, no recovery codes', async () => {
    const account = await newAccount();
    const { secret } = (await mfa().startTotp(account))!;
    const before = await totpRow(account.id);
    expect(await mfa().confirmTotp(account.id, await wrongCode(secret))).toBeNull();
    expect(await mfa().confirmTotp(account.id, 'not-a-code')).toBeNull();
    expect(await totpRow(account.id)).toEqual(before);
    expect(await recoveryRows(account.id)).toEqual([]);
    expect(await mfa().hasSecondFactor(account.id)).toBe(false);
  });

  it('activates with a right code and hands out ten distinct recovery codes, stored as keyed hashes only', async () => {
    const { account, recoveryCodes } = await enrolled();
    expect(recoveryCodes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(recoveryCodes).size).toBe(RECOVERY_CODE_COUNT);
    for (const code of recoveryCodes) expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
    const row = await totpRow(account.id);
    expect(row).toMatchObject({ status: 'active', activated_at: expect.any(Date) });
    const rows = await recoveryRows(account.id);
    expect(rows).toHaveLength(RECOVERY_CODE_COUNT);
    const table = JSON.stringify(rows);
    for (const code of recoveryCodes) {
      expect(table).not.toContain(code);
      expect(table).not.toContain(code.replace('-', ''));
    }
    for (const r of rows) expect(r.code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await mfa().hasSecondFactor(account.id)).toBe(true);
    expect(await mfa().summary(account.id)).toMatchObject({
      totp: { status: 'active', activatedAt: expect.any(Date) },
      recoveryCodesRemaining: RECOVERY_CODE_COUNT,
    });
  });

  it('starts no enrollment while one is active, and keeps the active secret', async () => {
    const { account, secret } = await enrolled();
    const before = await totpRow(account.id);
    expect(await mfa().startTotp(account)).toBeNull();
    expect((await totpRow(account.id)).secret_sealed).toBe(before.secret_sealed);
    expect(await mfa().checkCode(account.id, await codeAt(secret, 1))).toBe('totp');
  });

  it('replaces a pending secret when enrollment starts again: the old secret no longer confirms', async () => {
    const account = await newAccount();
    const first = (await mfa().startTotp(account))!;
    const second = (await mfa().startTotp(account))!;
    expect(second.secret).not.toBe(first.secret);
    const oldCode = await codeAt(first.secret);
    if (oldCode !== (await codeAt(second.secret)))
      expect(await mfa().confirmTotp(account.id, oldCode)).toBeNull();
    expect(await mfa().confirmTotp(account.id, await codeAt(second.secret))).toHaveLength(
      RECOVERY_CODE_COUNT,
    );
  });

  it('of concurrent confirmations with one code, activates once and hands out one set of recovery codes', async () => {
    const account = await newAccount();
    const { secret } = (await mfa().startTotp(account))!;
    const code = await codeAt(secret);
    const results = await Promise.all(Array.from({ length: 5 }, () => mfa().confirmTotp(account.id, code)));
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    expect(await recoveryRows(account.id)).toHaveLength(RECOVERY_CODE_COUNT);
    expect(await mfa().recoveryCodes.use(account.id, winners[0]![0]!)).toBe(true);
  });

  itAcrossPools('of two nodes confirming with one code, activates once', async () => {
    const account = await newAccount();
    const { secret } = (await mfa().startTotp(account))!;
    const code = await codeAt(secret);
    const results = await Promise.all([
      mfa().confirmTotp(account.id, code),
      stores.other!.mfa.confirmTotp(account.id, code),
    ]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await recoveryRows(account.id)).toHaveLength(RECOVERY_CODE_COUNT);
  });
});

describe('authenticator codes', () => {
  it('accepts a code once; the next step’s code then, and not the same code again', async () => {
    const { account, secret } = await enrolled();
    // enrolled() spent the current step; the next one is within the window.
    const next = await codeAt(secret, 1);
    expect(await mfa().checkCode(account.id, next)).toBe('totp');
    expect(await mfa().checkCode(account.id, next)).toBeNull();
    expect(await mfa().totp.check(account.id, next, 'active')).toBe(false);
  });

  it('refuses the current code once a later step was accepted (steps only go forwards)', async () => {
    const { account, secret } = await enrolled();
    expect(await mfa().checkCode(account.id, await codeAt(secret, 1))).toBe('totp');
    const current = await codeAt(secret);
    const previous = await codeAt(secret, -1);
    expect(await mfa().checkCode(account.id, current)).toBeNull();
    expect(await mfa().checkCode(account.id, previous)).toBeNull();
  });

  it('accepts the step before and the step after, and not a code two steps away', async () => {
    const account = await newAccount();
    const { secret } = (await mfa().startTotp(account))!;
    const window = await Promise.all([-1, 0, 1].map((offset) => codeAt(secret, offset)));
    const far = [await codeAt(secret, -2), await codeAt(secret, 2)].filter((c) => !window.includes(c));
    for (const code of far) expect(await mfa().confirmTotp(account.id, code)).toBeNull();
    expect(await mfa().confirmTotp(account.id, await codeAt(secret, -1))).toHaveLength(RECOVERY_CODE_COUNT);
    const after = await codeAt(secret, 2);
    if (!window.includes(after)) expect(await mfa().checkCode(account.id, after)).toBeNull();
    expect(await mfa().checkCode(account.id, await codeAt(secret, 1))).toBe('totp');
  });

  it('takes a code with spaces (as apps show it) and refuses what is not six digits', async () => {
    const { account, secret } = await enrolled();
    const next = await codeAt(secret, 1);
    for (const junk of ['', '12345', '1234567', 'abcdef', `${next}0`])
      expect(await mfa().checkCode(account.id, junk)).toBeNull();
    expect(await mfa().checkCode(account.id, ` ${next.slice(0, 3)} ${next.slice(3)} `)).toBe('totp');
  });

  it('does not accept a pending app’s code as a second factor', async () => {
    const account = await newAccount();
    const { secret } = (await mfa().startTotp(account))!;
    expect(await mfa().checkCode(account.id, await codeAt(secret))).toBeNull();
    expect((await totpRow(account.id)).status).toBe('pending');
  });

  it('of two concurrent checks of one code, exactly one is true', async () => {
    const { account, secret } = await enrolled();
    const next = await codeAt(secret, 1);
    const results = await Promise.all([mfa().checkCode(account.id, next), mfa().checkCode(account.id, next)]);
    expect(results.sort()).toEqual([null, 'totp']);
  });

  it('of concurrent sign-ins with one code (fewer than the lockout), exactly one succeeds', async () => {
    const { account, secret } = await enrolled();
    const next = await codeAt(secret, 1);
    const results = await Promise.all(
      Array.from({ length: LOCKOUT.maxAttempts - 1 }, () => mfa().verifyCode(account, next)),
    );
    expect(results.filter((r) => r.ok)).toEqual([{ ok: true, kind: 'totp' }]);
    expect(results.filter((r) => !r.ok)).toEqual(
      Array.from({ length: LOCKOUT.maxAttempts - 2 }, () => ({ ok: false, reason: 'invalid_code' })),
    );
  });

  it('of ten concurrent sign-ins with one code, at most one succeeds and the replays lock the name', async () => {
    // The replays count as wrong codes: past the lockout they lock the name, and a lock holds for
    // every request, the one with the first use of the code included if it lands after the lock.
    const { account, secret } = await enrolled();
    const next = await codeAt(secret, 1);
    const results = await Promise.all(Array.from({ length: 10 }, () => mfa().verifyCode(account, next)));
    expect(results.filter((r) => r.ok).length).toBeLessThanOrEqual(1);
    expect(results.some((r) => !r.ok && r.reason === 'locked')).toBe(true);
  });

  itAcrossPools('of two nodes checking one code, exactly one accepts it', async () => {
    const { account, secret } = await enrolled();
    const next = await codeAt(secret, 1);
    const results = await Promise.all([
      mfa().checkCode(account.id, next),
      stores.other!.mfa.checkCode(account.id, next),
    ]);
    expect(results.sort()).toEqual([null, 'totp']);
  });
});

describe('recovery codes', () => {
  it('accepts each code once', async () => {
    const { account, recoveryCodes } = await enrolled();
    for (const [i, code] of recoveryCodes.entries()) {
      expect(await mfa().checkCode(account.id, code)).toBe('recovery');
      expect(await mfa().checkCode(account.id, code)).toBeNull();
      expect(await mfa().recoveryCodes.remaining(account.id)).toBe(RECOVERY_CODE_COUNT - i - 1);
    }
  });

  it('normalises what a person types: upper case, spaces, no dash', async () => {
    const { account, recoveryCodes } = await enrolled();
    const [a, b, c] = recoveryCodes as [string, string, string];
    expect(await mfa().checkCode(account.id, a.toUpperCase())).toBe('recovery');
    expect(await mfa().checkCode(account.id, ` ${b.slice(0, 5)} ${b.slice(6)} `)).toBe('recovery');
    expect(await mfa().checkCode(account.id, c.replace('-', ''))).toBe('recovery');
    expect(await mfa().checkCode(account.id, c)).toBeNull();
  });

  it('belong to their account only', async () => {
    const first = await enrolled();
    const second = await enrolled();
    expect(await mfa().checkCode(second.account.id, first.recoveryCodes[0]!)).toBeNull();
    expect(await mfa().checkCode(first.account.id, first.recoveryCodes[0]!)).toBe('recovery');
  });

  it('of ten concurrent uses of one code, exactly one is true', async () => {
    const { account, recoveryCodes } = await enrolled();
    const code = recoveryCodes[0]!;
    const results = await Promise.all(
      Array.from({ length: 10 }, () => mfa().recoveryCodes.use(account.id, code)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  itAcrossPools('of two nodes using one code, exactly one accepts it', async () => {
    const { account, recoveryCodes } = await enrolled();
    const code = recoveryCodes[0]!;
    const results = await Promise.all([
      mfa().checkCode(account.id, code),
      stores.other!.mfa.checkCode(account.id, code),
    ]);
    expect(results.sort()).toEqual([null, 'recovery']);
  });

  it('regenerates ten new ones in place of the old, and none without a second factor', async () => {
    const { account, recoveryCodes } = await enrolled();
    const fresh = await mfa().regenerateRecoveryCodes(account.id);
    expect(fresh).toHaveLength(RECOVERY_CODE_COUNT);
    expect(await mfa().checkCode(account.id, recoveryCodes[0]!)).toBeNull();
    expect(await mfa().checkCode(account.id, fresh![0]!)).toBe('recovery');
    expect(await mfa().regenerateRecoveryCodes((await newAccount()).id)).toBeNull();
  });

  it('of concurrent regenerations, leaves one set of ten', async () => {
    const { account } = await enrolled();
    const sets = await Promise.all(
      Array.from({ length: 4 }, () => mfa().regenerateRecoveryCodes(account.id)),
    );
    expect(await recoveryRows(account.id)).toHaveLength(RECOVERY_CODE_COUNT);
    const working = [];
    for (const set of sets) if (await mfa().checkCode(account.id, set![0]!)) working.push(set);
    expect(working).toHaveLength(1);
  });
});

describe('verifyCode and the lockout', () => {
  it('accepts a right code, an app’s or a recovery code, saying which', async () => {
    const { account, secret, recoveryCodes } = await enrolled();
    expect(await mfa().verifyCode(account, await codeAt(secret, 1))).toEqual({ ok: true, kind: 'totp' });
    expect(await mfa().verifyCode(account, recoveryCodes[0]!)).toEqual({ ok: true, kind: 'recovery' });
  });

  it('counts wrong codes towards the sign-in lockout, and then refuses even a right code', async () => {
    const { account, secret, recoveryCodes } = await enrolled();
    const wrong = await wrongCode(secret);
    for (let i = 0; i < LOCKOUT.maxAttempts - 1; i += 1)
      expect(await mfa().verifyCode(account, wrong)).toEqual({ ok: false, reason: 'invalid_code' });
    expect(await mfa().verifyCode(account, wrong)).toEqual({
      ok: false,
      reason: 'locked',
      lockedUntil: expect.any(Date),
    });
    const right = await codeAt(secret, 1);
    expect(await mfa().verifyCode(account, right)).toMatchObject({ ok: false, reason: 'locked' });
    expect(await mfa().verifyCode(account, recoveryCodes[0]!)).toMatchObject({ ok: false, reason: 'locked' });
    // Refused before the code was looked at: neither was spent.
    await stores.store.accounts.throttle.reset(account.username.toLowerCase());
    expect(await mfa().verifyCode(account, right)).toEqual({ ok: true, kind: 'totp' });
    expect(await mfa().verifyCode(account, recoveryCodes[0]!)).toEqual({ ok: true, kind: 'recovery' });
  });

  it('shares the count with wrong passwords (one lock per name)', async () => {
    const { account, secret } = await enrolled();
    for (let i = 0; i < LOCKOUT.maxAttempts - 1; i += 1)
      expect(await stores.store.accounts.authenticate(account.username, 'wrong-password')).toEqual({
        ok: false,
        reason: 'invalid_credentials',
      });
    expect(await mfa().verifyCode(account, await wrongCode(secret))).toMatchObject({
      ok: false,
      reason: 'locked',
    });
    expect(await stores.store.accounts.authenticate(account.username, 'irrelevant-pass')).toMatchObject({
      ok: false,
      reason: 'locked',
    });
  });

  it('locks after maxAttempts wrong codes even when the right password comes before each', async () => {
    const { account, secret } = await enrolled();
    const wrong = await wrongCode(secret);
    const results = [];
    for (let i = 0; i < LOCKOUT.maxAttempts; i += 1) {
      // The password sign-in takes the name's count back; the second-factor count stays.
      expect(await stores.store.accounts.authenticate(account.username, 'irrelevant-pass')).toMatchObject({
        ok: true,
      });
      results.push(await mfa().verifyCode(account, wrong));
    }
    expect(results.slice(0, -1)).toEqual(
      Array.from({ length: LOCKOUT.maxAttempts - 1 }, () => ({ ok: false, reason: 'invalid_code' })),
    );
    expect(results.at(-1)).toEqual({ ok: false, reason: 'locked', lockedUntil: expect.any(Date) });
    // One lockout: the name is locked for the password too.
    expect(await stores.store.accounts.authenticate(account.username, 'irrelevant-pass')).toMatchObject({
      ok: false,
      reason: 'locked',
    });
    const right = await codeAt(secret, 1);
    expect(await mfa().verifyCode(account, right)).toMatchObject({ ok: false, reason: 'locked' });
    // An administrator's unlock of the name opens it all.
    await stores.store.accounts.throttle.reset(account.username);
    expect(await mfa().verifyCode(account, right)).toEqual({ ok: true, kind: 'totp' });
  });

  it('counts second-factor attempts under a keyed hash of the name, not the name', async () => {
    const { account, secret } = await enrolled();
    const before = await stores.db('login_throttle').where('username', 'like', '2fa:%').pluck('username');
    expect(await mfa().verifyCode(account, await wrongCode(secret))).toEqual({
      ok: false,
      reason: 'invalid_code',
    });
    const added = (
      await stores.db('login_throttle').where('username', 'like', '2fa:%').pluck('username')
    ).filter((name: string) => !before.includes(name));
    expect(added).toEqual([expect.stringMatching(/^2fa:[0-9a-f]{64}$/)]);
    expect(added[0]).not.toContain(account.username);
  });

  it('takes the count back on a right code', async () => {
    const { account, secret } = await enrolled();
    const wrong = await wrongCode(secret);
    for (let i = 0; i < LOCKOUT.maxAttempts - 1; i += 1) await mfa().verifyCode(account, wrong);
    expect(await mfa().verifyCode(account, await codeAt(secret, 1))).toEqual({ ok: true, kind: 'totp' });
    expect(await mfa().verifyCode(account, wrong)).toEqual({ ok: false, reason: 'invalid_code' });
  });
});

describe('removal and reset', () => {
  it('removes the app with a right code, and the recovery codes with it as the last factor', async () => {
    const { account, secret } = await enrolled();
    expect(await mfa().removeTotp(account, await wrongCode(secret))).toEqual({
      ok: false,
      reason: 'invalid_code',
    });
    expect((await totpRow(account.id)).status).toBe('active');
    expect(await recoveryRows(account.id)).toHaveLength(RECOVERY_CODE_COUNT);
    expect(await mfa().removeTotp(account, await codeAt(secret, 1))).toBe('removed');
    expect(await totpRow(account.id)).toBeUndefined();
    expect(await recoveryRows(account.id)).toEqual([]);
    expect(await mfa().hasSecondFactor(account.id)).toBe(false);
    expect(await mfa().removeTotp(account, await codeAt(secret, 1))).toBe('not_enrolled');
  });

  it('removes the app with a recovery code, and keeps the codes while a passkey remains', async () => {
    const { account, recoveryCodes } = await enrolled();
    await stores.db('webauthn_credentials').insert({
      id: `cred-${account.id}`,
      account_id: account.id,
      public_key: 'cHVibGljLWtleQ',
      device_type: 'singleDevice',
      name: 'test key',
    });
    expect(await mfa().removeTotp(account, recoveryCodes[0]!)).toBe('removed');
    expect(await mfa().recoveryCodes.remaining(account.id)).toBe(RECOVERY_CODE_COUNT - 1);
    expect(await mfa().hasSecondFactor(account.id)).toBe(true);
    expect(await mfa().removePasskey(account.id, `cred-${account.id}`)).toBe(true);
    expect(await recoveryRows(account.id)).toEqual([]);
    expect(await mfa().hasSecondFactor(account.id)).toBe(false);
  });

  it('removes a pending enrollment without a code', async () => {
    const account = await newAccount();
    await mfa().startTotp(account);
    expect(await mfa().removeTotp(account, '')).toBe('removed');
    expect(await totpRow(account.id)).toBeUndefined();
  });

  it('reset removes every factor and revokes the account’s state; a second reset finds nothing', async () => {
    const { account, secret } = await enrolled();
    await stores.db('webauthn_credentials').insert({
      id: `cred-reset-${account.id}`,
      account_id: account.id,
      public_key: 'cHVibGljLWtleQ',
      device_type: 'multiDevice',
      name: 'test key',
    });
    expect(await mfa().reset(account.id)).toBe(true);
    expect(revoked).toContain(account.id);
    expect(await totpRow(account.id)).toBeUndefined();
    expect(await recoveryRows(account.id)).toEqual([]);
    expect(await stores.db('webauthn_credentials').where('account_id', account.id)).toEqual([]);
    expect(await mfa().summary(account.id)).toEqual({ totp: null, passkeys: [], recoveryCodesRemaining: 0 });
    expect(await mfa().checkCode(account.id, await codeAt(secret, 1))).toBeNull();
    expect(await mfa().reset(account.id)).toBe(false);
    // Enrolment starts over from nothing.
    expect(await mfa().startTotp(account)).not.toBeNull();
  });
});
