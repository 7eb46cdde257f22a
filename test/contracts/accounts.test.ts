/**
 * The account store's contract (src/accounts/store.ts): what it must do on any database. An account
 * is found by its id and by its name in any case, and by nothing else; names are unique without
 * regard to case, also between concurrent creates; a wrong password and an unknown name are one
 * answer; each change touches only what it names, and a change that must end the account's sessions
 * and tokens (a new password, disabling, deleting) is made together with that revocation or not at
 * all; listings are ordered and paged by name.
 */
import { randomUUID } from 'node:crypto';
import { AccountStore, type NewAccount } from '../../src/accounts/store';
import type { Database } from '../../src/db/database';
import { itAcrossPools, storeContract } from './harness';
import {
  djangoAvailable,
  itWithDjango,
  makeDjangoHashes,
  type DjangoVector,
} from '../accounts/django-vectors';

const LOCKOUT = { maxAttempts: 3, windowSeconds: 900, durationSeconds: 900 };

/** The accounts whose state the store ended; set `failRevocation` to make the revocation throw. */
const revocations: string[] = [];
let failRevocation = false;

const accounts = storeContract(
  (db: Database) =>
    new AccountStore(db, {
      bcryptCost: 4,
      lockout: LOCKOUT,
      revokeState: async (trx, accountId) => {
        if (failRevocation) throw new Error('revocation failed');
        // Inside the change's transaction: the account is there as the change left it.
        await trx('accounts').where('id', accountId).first('id');
        revocations.push(accountId);
        return 0;
      },
    }),
);

let named = 0;
/** A name no other test uses (the database lives for the whole file). */
const uniqueName = (stem: string) => `${stem}-${(named += 1)}`;

async function newAccount(fields: Partial<NewAccount> = {}) {
  return accounts.store.create({ username: uniqueName('user'), password: 'right-password', ...fields });
}

beforeEach(() => {
  revocations.length = 0;
  failRevocation = false;
});

describe('create and find', () => {
  it('finds a created account by id and by its name in any case, with its profile and roles', async () => {
    const username = uniqueName('Ada.Lovelace');
    const created = await accounts.store.create({
      username,
      password: 'right-password',
      email: 'ada@example.com',
      emailVerified: true,
      givenName: 'Ada',
      familyName: 'Lovelace',
      phoneNumber: '+15550100003',
      locale: 'en',
      address: { locality: 'London', country: 'GB' },
      roles: ['user', 'admin'],
    });
    expect(created).toEqual({
      id: expect.any(String),
      username,
      email: 'ada@example.com',
      emailVerified: true,
      givenName: 'Ada',
      familyName: 'Lovelace',
      phoneNumber: '+15550100003',
      phoneNumberVerified: false,
      locale: 'en',
      address: { locality: 'London', country: 'GB' },
      disabled: false,
      roles: ['admin', 'user'],
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
    expect(await accounts.store.findById(created.id)).toEqual(created);
    expect(await accounts.store.findByUsername(`  ${username.toUpperCase()} `)).toEqual(created);
  });

  it('keeps the id it is given', async () => {
    const id = randomUUID();
    expect((await newAccount({ id })).id).toBe(id);
  });

  it('finds nothing for an unknown id, a malformed id, or a name no account can have', async () => {
    expect(await accounts.store.findById(randomUUID())).toBeNull();
    expect(await accounts.store.findById('not-a-uuid')).toBeNull();
    expect(await accounts.store.findByUsername('nobody-at-all')).toBeNull();
    expect(await accounts.store.findByUsername('a\u0000b')).toBeNull();
    expect(await accounts.store.findByUsername('x'.repeat(151))).toBeNull();
    expect(await accounts.store.findByUsername('   ')).toBeNull();
  });

  it('refuses a second account whose name differs only in case, and stores nothing of it', async () => {
    const username = uniqueName('grace');
    await newAccount({ username });
    const before = await accounts.store.count();
    await expect(newAccount({ username: username.toUpperCase(), roles: ['fresh-role'] })).rejects.toThrow();
    expect(await accounts.store.count()).toBe(before);
    expect(await accounts.db('roles').where('name', 'fresh-role').first()).toBeUndefined();
  });

  it('lets exactly one of concurrent creates of one name succeed', async () => {
    const username = uniqueName('race');
    const spellings = [username, username.toUpperCase(), ` ${username}`.trim(), username, username];
    const results = await Promise.allSettled(spellings.map((name) => newAccount({ username: name })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  itAcrossPools('lets exactly one of two nodes create one name', async () => {
    const username = uniqueName('two-nodes');
    const results = await Promise.allSettled([
      accounts.store.create({ username, password: 'right-password' }),
      accounts.other!.create({ username: username.toUpperCase(), password: 'right-password' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('creates the roles it is given that do not exist yet', async () => {
    const account = await newAccount({ roles: ['auditor'] });
    expect(account.roles).toEqual(['auditor']);
    expect(await accounts.db('roles').where('name', 'auditor').first()).toMatchObject({ name: 'auditor' });
  });
});

describe('authenticate', () => {
  it('accepts the right password, and answers a wrong one and an unknown name alike', async () => {
    const account = await newAccount();
    expect(await accounts.store.authenticate(account.username, 'right-password')).toEqual({
      ok: true,
      account,
    });
    const wrong = await accounts.store.authenticate(account.username, 'wrong-password');
    const unknown = await accounts.store.authenticate(uniqueName('nobody'), 'right-password');
    expect(wrong).toEqual({ ok: false, reason: 'invalid_credentials' });
    expect(unknown).toEqual(wrong);
  });

  it('answers disabled only to the right password of a disabled account', async () => {
    const account = await newAccount({ disabled: true });
    expect(await accounts.store.authenticate(account.username, 'right-password')).toEqual({
      ok: false,
      reason: 'disabled',
    });
    expect(await accounts.store.authenticate(account.username, 'wrong-password')).toEqual({
      ok: false,
      reason: 'invalid_credentials',
    });
  });

  it('never matches a password with a NUL in it (bcrypt would stop reading there)', async () => {
    const account = await newAccount();
    expect(await accounts.store.authenticate(account.username, 'right-password\u0000junk')).toEqual({
      ok: false,
      reason: 'invalid_credentials',
    });
    await expect(newAccount({ password: 'abcdefgh\u0000ijk' })).rejects.toThrow('U+0000');
  });

  it('locks the name once the lockout policy is used up, against the right password too', async () => {
    const account = await newAccount();
    const answers = [];
    for (let i = 0; i < LOCKOUT.maxAttempts; i += 1)
      answers.push(await accounts.store.authenticate(account.username, 'wrong-password'));
    expect(answers.at(-1)).toEqual({ ok: false, reason: 'locked', lockedUntil: expect.any(Date) });
    expect(await accounts.store.authenticate(account.username, 'right-password')).toMatchObject({
      ok: false,
      reason: 'locked',
    });
  });
});

describe('passwords imported from Django', () => {
  let pbkdf2: DjangoVector | undefined;
  let djangoBcryptSha256: DjangoVector | undefined;
  beforeAll(async () => {
    if (!djangoAvailable) return;
    [pbkdf2, djangoBcryptSha256] = await makeDjangoHashes([
      ['pbkdf2_sha256', 'django pässword'],
      ['bcrypt_sha256', 'django pässword'],
    ]);
  }, 60_000);

  /** An account whose stored hash is `hash` (as the importer writes it). */
  async function withHash(hash: string | null) {
    const account = await newAccount();
    await accounts.db('accounts').where('id', account.id).update({ password_hash: hash });
    return account;
  }
  const storedOf = async (id: string) =>
    (await accounts.db('accounts').where('id', id).first('password_hash', 'last_login_at')) as {
      password_hash: string | null;
      last_login_at: Date | null;
    };

  it('an account without a password fails like a wrong password, and a reset gives it one', async () => {
    const account = await withHash(null);
    expect(await accounts.store.authenticate(account.username, 'right-password')).toEqual({
      ok: false,
      reason: 'invalid_credentials',
    });
    expect(await accounts.store.changePassword(account.id, 'right-password', 'new-password-1', {})).toEqual({
      ok: false,
      reason: 'wrong_password',
    });
    expect((await storedOf(account.id)).password_hash).toBeNull();
    expect(await accounts.store.setPassword(account.id, 'new-password-1')).toBe(true);
    expect(await accounts.store.authenticate(account.username, 'new-password-1')).toMatchObject({ ok: true });
  });

  it('records last_login_at on a successful password sign-in, and on nothing else', async () => {
    const account = await newAccount();
    const disabled = await newAccount({ disabled: true });
    await accounts.store.authenticate(account.username, 'wrong-password');
    await accounts.store.authenticate(disabled.username, 'right-password');
    expect((await storedOf(account.id)).last_login_at).toBeNull();
    expect((await storedOf(disabled.id)).last_login_at).toBeNull();
    const before = Date.now();
    expect(await accounts.store.authenticate(account.username, 'right-password')).toMatchObject({ ok: true });
    const first = (await storedOf(account.id)).last_login_at!;
    expect(first.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(await accounts.store.authenticate(account.username, 'right-password')).toMatchObject({ ok: true });
    expect((await storedOf(account.id)).last_login_at!.getTime()).toBeGreaterThanOrEqual(first.getTime());
  });

  itWithDjango(
    'a Django hash signs in, and is replaced by Gatehouse’s bcrypt of the same password',
    async () => {
      const account = await withHash(pbkdf2!.encoded);
      expect(await accounts.store.authenticate(account.username, 'django password')).toEqual({
        ok: false,
        reason: 'invalid_credentials',
      });
      expect((await storedOf(account.id)).password_hash).toBe(pbkdf2!.encoded);
      expect(await accounts.store.authenticate(account.username, 'django pässword')).toEqual({
        ok: true,
        account,
      });
      const { password_hash: rehashed, last_login_at } = await storedOf(account.id);
      expect(rehashed).toMatch(/^\$2b\$04\$/);
      expect(last_login_at).toEqual(expect.any(Date));
      expect(accounts.store.passwords.needsRehash(rehashed!)).toBe(false);
      expect(await accounts.store.authenticate(account.username, 'django pässword')).toEqual({
        ok: true,
        account,
      });
      expect((await storedOf(account.id)).password_hash).toBe(rehashed);
    },
  );

  itWithDjango('Django’s bcrypt_sha256 is Gatehouse’s own format: it signs in and is kept', async () => {
    const account = await withHash(djangoBcryptSha256!.encoded);
    expect(await accounts.store.authenticate(account.username, 'django pässword')).toEqual({
      ok: true,
      account,
    });
    expect((await storedOf(account.id)).password_hash).toBe(djangoBcryptSha256!.encoded);
  });

  itWithDjango('two sign-ins racing with an imported hash both succeed, and one replaces it', async () => {
    const account = await withHash(pbkdf2!.encoded);
    const answers = await Promise.all([
      accounts.store.authenticate(account.username, 'django pässword'),
      accounts.store.authenticate(account.username, 'django pässword'),
    ]);
    expect(answers).toEqual([
      { ok: true, account },
      { ok: true, account },
    ]);
    const after = (await storedOf(account.id)).password_hash!;
    expect(after).toMatch(/^\$2b\$04\$/);
    expect(await accounts.store.passwords.verify('django pässword', after)).toBe(true);

    // The replacement itself, raced: exactly one of the two writes its hash.
    const again = await withHash(pbkdf2!.encoded);
    const replaced = await Promise.all([
      accounts.store.recordSignIn(again.id, pbkdf2!.encoded, 'django pässword'),
      accounts.store.recordSignIn(again.id, pbkdf2!.encoded, 'django pässword'),
    ]);
    expect(replaced.sort()).toEqual([false, true]);
  });

  itAcrossPools(
    'two nodes’ sign-ins racing with an imported hash: both succeed, one replaces it',
    async () => {
      if (!djangoAvailable) return;
      const account = await withHash(pbkdf2!.encoded);
      const replaced = await Promise.all([
        accounts.store.recordSignIn(account.id, pbkdf2!.encoded, 'django pässword'),
        accounts.other!.recordSignIn(account.id, pbkdf2!.encoded, 'django pässword'),
      ]);
      expect(replaced.sort()).toEqual([false, true]);
      expect(await accounts.store.authenticate(account.username, 'django pässword')).toEqual({
        ok: true,
        account,
      });
    },
  );

  itWithDjango('a password set after the imported one was verified is kept (compare-and-set)', async () => {
    const account = await withHash(pbkdf2!.encoded);
    expect(await accounts.store.setPassword(account.id, 'set-meanwhile')).toBe(true);
    const set = (await storedOf(account.id)).password_hash;
    expect(await accounts.store.recordSignIn(account.id, pbkdf2!.encoded, 'django pässword')).toBe(false);
    const stored = await storedOf(account.id);
    expect(stored.password_hash).toBe(set);
    expect(stored.last_login_at).toEqual(expect.any(Date));
  });
});

describe('changes', () => {
  it('updates only the profile fields it is given, and clears those given as null', async () => {
    const account = await newAccount({ email: 'old@example.com', givenName: 'Old', familyName: 'Name' });
    const updated = await accounts.store.updateProfile(account.id, {
      email: 'new@example.com',
      givenName: null,
    });
    expect(updated).toEqual({
      ...account,
      email: 'new@example.com',
      givenName: null,
      updatedAt: expect.any(Date),
    });
    expect(updated!.updatedAt.getTime()).toBeGreaterThanOrEqual(account.updatedAt.getTime());
    expect(await accounts.store.updateProfile(randomUUID(), { email: 'x@example.com' })).toBeNull();
  });

  it('sets a new password that replaces the old one, and ends the account’s state with it', async () => {
    const account = await newAccount();
    expect(await accounts.store.setPassword(account.id, 'new-password')).toBe(true);
    expect(revocations).toEqual([account.id]);
    expect((await accounts.store.authenticate(account.username, 'new-password')).ok).toBe(true);
    expect(await accounts.store.authenticate(account.username, 'right-password')).toEqual({
      ok: false,
      reason: 'invalid_credentials',
    });
    expect(await accounts.store.setPassword(randomUUID(), 'new-password')).toBe(false);
    expect(revocations).toEqual([account.id]);
  });

  it('ends the account’s state when it is disabled, and not when it is enabled', async () => {
    const account = await newAccount();
    expect(await accounts.store.setDisabled(account.id, true)).toBe(true);
    expect((await accounts.store.findById(account.id))!.disabled).toBe(true);
    expect(await accounts.store.setDisabled(account.id, false)).toBe(true);
    expect((await accounts.store.findById(account.id))!.disabled).toBe(false);
    expect(revocations).toEqual([account.id]);
    expect(await accounts.store.setDisabled(randomUUID(), true)).toBe(false);
  });

  it('makes no change whose revocation fails: password, disabling and deletion stay as they were', async () => {
    const account = await newAccount();
    failRevocation = true;
    await expect(accounts.store.setPassword(account.id, 'new-password')).rejects.toThrow('revocation failed');
    await expect(accounts.store.setDisabled(account.id, true)).rejects.toThrow('revocation failed');
    await expect(accounts.store.delete(account.id)).rejects.toThrow('revocation failed');
    failRevocation = false;
    expect(await accounts.store.findById(account.id)).toEqual(account);
    expect((await accounts.store.authenticate(account.username, 'right-password')).ok).toBe(true);
  });

  it('replaces the roles, refuses a role that does not exist, and answers false for an unknown account', async () => {
    const account = await newAccount({ roles: ['user', 'editor'] });
    expect(await accounts.store.setRoles(account.id, ['user'])).toBe(true);
    expect((await accounts.store.findById(account.id))!.roles).toEqual(['user']);
    await expect(accounts.store.setRoles(account.id, ['editor', 'no-such-role'])).rejects.toThrow();
    expect((await accounts.store.findById(account.id))!.roles).toEqual(['user']);
    expect(await accounts.store.setRoles(account.id, [])).toBe(true);
    expect((await accounts.store.findById(account.id))!.roles).toEqual([]);
    expect(await accounts.store.setRoles(randomUUID(), ['user'])).toBe(false);
  });

  it('deletes an account with its roles, once, ending its state', async () => {
    const account = await newAccount({ roles: ['user'] });
    expect(await accounts.store.delete(account.id)).toBe(true);
    expect(revocations).toEqual([account.id]);
    expect(await accounts.store.findById(account.id)).toBeNull();
    expect(await accounts.db('account_roles').where('account_id', account.id)).toEqual([]);
    expect(await accounts.store.delete(account.id)).toBe(false);
    expect(await accounts.store.delete('not-a-uuid')).toBe(false);
    expect(revocations).toEqual([account.id]);
  });
});

describe('list and count', () => {
  it('lists by name without regard to case, a page at a time after a name', async () => {
    for (const username of ['pager-b', 'Pager-A', 'pager-d', 'PAGER-C']) await newAccount({ username });
    const names = (list: { username: string }[]) => list.map((a) => a.username);
    expect(names(await accounts.store.list({ prefix: 'pager-' }))).toEqual([
      'Pager-A',
      'pager-b',
      'PAGER-C',
      'pager-d',
    ]);
    expect(names(await accounts.store.list({ prefix: 'PAGER-', limit: 2 }))).toEqual(['Pager-A', 'pager-b']);
    expect(names(await accounts.store.list({ prefix: 'pager-', limit: 2, after: 'Pager-B' }))).toEqual([
      'PAGER-C',
      'pager-d',
    ]);
  });

  it('takes a prefix literally: % and _ match only themselves', async () => {
    for (const username of ['lit_x', 'litax', 'lit%y', 'litbby']) await newAccount({ username });
    const names = async (prefix: string) => (await accounts.store.list({ prefix })).map((a) => a.username);
    expect(await names('lit_')).toEqual(['lit_x']);
    expect(await names('lit%')).toEqual(['lit%y']);
  });

  it('counts every account', async () => {
    const before = await accounts.store.count();
    await newAccount();
    expect(await accounts.store.count()).toBe(before + 1);
  });
});
