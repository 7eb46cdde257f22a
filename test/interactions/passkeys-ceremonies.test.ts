/**
 * The passkey ceremonies (src/accounts/mfa/passkeys.ts) on a real database, against the software
 * authenticator of test/support/authenticator.ts (written from the WebAuthn specification). What it
 * shows: a registration and a sign-in, the methods of each (RFC 8176), the challenge bound to purpose
 * and subject and taken once, user verification required for a sign-in with the passkey alone, the
 * user handle checked, and the signature counter raised only forwards by a compare-and-set with one
 * winner among racing callers (WebAuthn §6.1.1), on one pool and across two.
 */
import { createHash, randomBytes } from 'node:crypto';
import { PasskeyCeremonies } from '../../src/accounts/mfa/passkeys';
import { AccountStore } from '../../src/accounts/store';
import type { Database } from '../../src/db/database';
import { itAcrossPools, storeContract } from '../contracts/harness';
import { b64url, SoftAuthenticator, TEST_RP as RP } from '../support/authenticator';

const LOCKOUT = { maxAttempts: 5, windowSeconds: 900, durationSeconds: 900 };

const stores = storeContract((db: Database) => ({
  accounts: new AccountStore(db, { bcryptCost: 4, lockout: LOCKOUT }),
  passkeys: new PasskeyCeremonies(db, RP),
}));
const ceremonies = () => stores.store.passkeys;

let named = 0;
async function newAccount() {
  named += 1;
  return stores.store.accounts.create({ username: `passkey-${named}`, password: 'irrelevant-pass' });
}

/** An account with one registered passkey, and the authenticator holding it. */
async function registered(counts = true) {
  const account = await newAccount();
  const authenticator = new SoftAuthenticator(account.id, counts);
  const options = await ceremonies().registrationOptions(account);
  const result = await ceremonies().register(account.id, authenticator.create(options.challenge), 'Key');
  expect(result).toEqual({ ok: true, id: b64url(authenticator.id), name: 'Key' });
  return { account, authenticator };
}

async function stored(id: string) {
  return stores.db('webauthn_credentials').where('id', id).first();
}

const uid = () => `interaction-${randomBytes(8).toString('hex')}`;

describe('registration', () => {
  it('asks for a discoverable credential, excluding the passkeys the account has', async () => {
    const { account, authenticator } = await registered();
    const options = await ceremonies().registrationOptions(account);
    expect(options).toMatchObject({
      rp: { id: RP.rpId, name: RP.rpName },
      user: { id: b64url(Buffer.from(account.id)), name: account.username },
      attestation: 'none',
      excludeCredentials: [{ id: b64url(authenticator.id), type: 'public-key', transports: ['internal'] }],
      authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    });
  });

  it('stores the credential: public key, counter, transports, device type, name', async () => {
    const { account, authenticator } = await registered();
    expect(await stored(b64url(authenticator.id))).toMatchObject({
      account_id: account.id,
      public_key: expect.stringMatching(/^[\w-]+$/),
      transports: ['internal'],
      device_type: 'singleDevice',
      backed_up: false,
      name: 'Key',
      last_used_at: null,
    });
    expect(Number((await stored(b64url(authenticator.id))).counter)).toBe(0);
  });

  it('refuses a credential registered already, another origin, and a challenge of another account', async () => {
    const { account, authenticator } = await registered();
    const again = await ceremonies().registrationOptions(account);
    expect(await ceremonies().register(account.id, authenticator.create(again.challenge), 'x')).toEqual({
      ok: false,
      reason: 'duplicate',
    });
    const other = await newAccount();
    const fresh = new SoftAuthenticator(other.id);
    const options = await ceremonies().registrationOptions(other);
    // Another account's challenge.
    expect(await ceremonies().register(account.id, fresh.create(options.challenge), 'x')).toEqual({
      ok: false,
      reason: 'no_challenge',
    });
    // The right account, a phishing origin.
    const phished = fresh.create(options.challenge, { origin: 'https://id.example.test.evil.example' });
    expect(await ceremonies().register(other.id, phished, 'x')).toEqual({
      ok: false,
      reason: 'not_verified',
    });
    expect(await stored(b64url(fresh.id))).toBeUndefined();
  });
});

describe('authentication', () => {
  it('signs in with the passkey alone: hwk and user, the counter raised and the use recorded', async () => {
    const { account, authenticator } = await registered();
    const subject = uid();
    const options = await ceremonies().authenticationOptions('sign_in', subject);
    expect(options).toMatchObject({ rpId: RP.rpId, userVerification: 'required' });
    expect(options.allowCredentials).toBeUndefined();
    const result = await ceremonies().authenticate('sign_in', subject, authenticator.get(options.challenge));
    expect(result).toEqual({
      ok: true,
      accountId: account.id,
      credentialId: b64url(authenticator.id),
      methods: ['hwk', 'user'],
      counter: 1,
    });
    const row = await stored(b64url(authenticator.id));
    expect(Number(row.counter)).toBe(1);
    expect(row.last_used_at).toBeInstanceOf(Date);
  });

  it('requires user verification for the passkey alone, not for a second factor', async () => {
    const { account, authenticator } = await registered();
    const subject = uid();
    const alone = await ceremonies().authenticationOptions('sign_in', subject);
    expect(
      await ceremonies().authenticate(
        'sign_in',
        subject,
        authenticator.get(alone.challenge, { verified: false }),
      ),
    ).toEqual({ ok: false, reason: 'not_verified' });
    const second = await ceremonies().authenticationOptions('second_factor', subject, account.id);
    expect(second).toMatchObject({
      userVerification: 'preferred',
      allowCredentials: [{ id: b64url(authenticator.id), type: 'public-key', transports: ['internal'] }],
    });
    const result = await ceremonies().authenticate(
      'second_factor',
      subject,
      authenticator.get(second.challenge, { verified: false }),
      account.id,
    );
    expect(result).toMatchObject({ ok: true, methods: ['hwk'] });
  });

  it('binds the challenge to its purpose and subject, takes it once, and lets it expire', async () => {
    const { account, authenticator } = await registered();
    const subject = uid();
    const options = await ceremonies().authenticationOptions('sign_in', subject);
    // Another interaction, another purpose: not theirs, and left in place.
    expect(await ceremonies().authenticate('sign_in', uid(), authenticator.get(options.challenge))).toEqual({
      ok: false,
      reason: 'no_challenge',
    });
    expect(
      await ceremonies().authenticate(
        'second_factor',
        subject,
        authenticator.get(options.challenge),
        account.id,
      ),
    ).toEqual({ ok: false, reason: 'no_challenge' });
    const assertion = authenticator.get(options.challenge);
    expect(await ceremonies().authenticate('sign_in', subject, assertion)).toMatchObject({ ok: true });
    // The same signed assertion again: its challenge is gone.
    expect(await ceremonies().authenticate('sign_in', subject, assertion)).toEqual({
      ok: false,
      reason: 'no_challenge',
    });

    const late = await ceremonies().authenticationOptions('sign_in', subject);
    await stores
      .db('webauthn_challenges')
      .where('id', createHash('sha256').update(late.challenge).digest('hex'))
      .update({ expires_at: new Date(Date.now() - 1000) });
    expect(await ceremonies().authenticate('sign_in', subject, authenticator.get(late.challenge))).toEqual({
      ok: false,
      reason: 'no_challenge',
    });
    // An expired challenge is taken all the same.
    expect(await stores.db('webauthn_challenges').where('subject', subject)).toEqual([]);
  });

  it("refuses an unknown credential, another account's passkey as a second factor, a foreign user handle", async () => {
    const { account, authenticator } = await registered();
    const other = await registered();
    const subject = uid();
    const stranger = new SoftAuthenticator(account.id);
    let options = await ceremonies().authenticationOptions('sign_in', subject);
    expect(await ceremonies().authenticate('sign_in', subject, stranger.get(options.challenge))).toEqual({
      ok: false,
      reason: 'unknown_credential',
    });
    options = await ceremonies().authenticationOptions('second_factor', subject, account.id);
    expect(
      await ceremonies().authenticate(
        'second_factor',
        subject,
        other.authenticator.get(options.challenge),
        account.id,
      ),
    ).toEqual({ ok: false, reason: 'unknown_credential' });
    options = await ceremonies().authenticationOptions('sign_in', subject);
    const foreign = authenticator.get(options.challenge, { userHandle: other.account.id });
    expect(await ceremonies().authenticate('sign_in', subject, foreign)).toEqual({
      ok: false,
      reason: 'unknown_credential',
    });
  });

  it('refuses a counter that did not move forwards (a cloned authenticator, §6.1.1)', async () => {
    const { authenticator } = await registered();
    const subject = uid();
    const outcomes = [];
    for (const counter of [5, 5, 3]) {
      const options = await ceremonies().authenticationOptions('sign_in', subject);
      const assertion = authenticator.get(options.challenge, { counter });
      outcomes.push(await ceremonies().authenticate('sign_in', subject, assertion));
    }
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.reason))).toEqual(['ok', 'counter', 'counter']);
    expect(Number((await stored(b64url(authenticator.id))).counter)).toBe(5);
  });

  it('accepts an authenticator that keeps no counter (always 0), every time', async () => {
    const { authenticator } = await registered(false);
    const subject = uid();
    for (let i = 0; i < 2; i++) {
      const options = await ceremonies().authenticationOptions('sign_in', subject);
      expect(
        await ceremonies().authenticate('sign_in', subject, authenticator.get(options.challenge)),
      ).toMatchObject({
        ok: true,
        counter: 0,
      });
    }
  });

  async function race(other: () => PasskeyCeremonies) {
    const { authenticator } = await registered();
    const subject = uid();
    // Ten clones of one authenticator, each with a challenge of its own and the same next count.
    const challenges = await Promise.all(
      Array.from({ length: 10 }, () => ceremonies().authenticationOptions('sign_in', subject)),
    );
    const results = await Promise.all(
      challenges.map((options, i) =>
        (i % 2 ? other() : ceremonies()).authenticate(
          'sign_in',
          subject,
          authenticator.get(options.challenge, { counter: 7 }),
        ),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toEqual(Array(9).fill({ ok: false, reason: 'counter' }));
    expect(Number((await stored(b64url(authenticator.id))).counter)).toBe(7);
  }

  it('raises the counter for one of concurrent assertions with the same count', () => race(ceremonies));

  itAcrossPools('raises the counter for one of them across two nodes', () =>
    race(() => stores.other!.passkeys),
  );
});
