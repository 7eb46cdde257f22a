/**
 * Passkeys in the audit trail (issue 18), through the ceremonies and the second-factor store on a
 * migrated database, inside a request context (as the routes run them): user.mfa_enrolled once per
 * registered passkey (none for a credential registered already: the insert's conflict), the removal
 * with its factor, and user.sign_in_failed for a refused assertion (second_factor at the second step,
 * invalid_credentials as the first factor), none for a ceremony without its challenge.
 */
import { randomBytes } from 'node:crypto';
import { runWithContext, type RequestContext } from '../../src/audit/context';
import { PasskeyCeremonies } from '../../src/accounts/mfa/passkeys';
import { MfaStore } from '../../src/accounts/mfa/store';
import { AccountStore } from '../../src/accounts/store';
import type { Database } from '../../src/db/database';
import { storeContract } from '../contracts/harness';
import { b64url, SoftAuthenticator, TEST_RP } from '../support/authenticator';
import { rowsAdded, type AuditRow } from './domain-trail';

const LOCKOUT = { maxAttempts: 5, windowSeconds: 900, durationSeconds: 900 };

const stores = storeContract((db: Database) => {
  const accounts = new AccountStore(db, { bcryptCost: 4, lockout: LOCKOUT });
  return {
    accounts,
    passkeys: new PasskeyCeremonies(db, TEST_RP),
    mfa: new MfaStore(db, {
      secretKey: 'audit-passkeys-secret-key-0123456789abcdef',
      issuerLabel: 'id.example.test',
      throttle: accounts.throttle,
    }),
  };
});
const ceremonies = () => stores.store.passkeys;

let named = 0;
async function newAccount() {
  named += 1;
  return stores.store.accounts.create({ username: `audit-passkey-${named}`, password: 'irrelevant-pass' });
}

const context = (): RequestContext => ({
  requestId: `passkey-${randomBytes(4).toString('hex')}`,
  ip: '192.0.2.7',
  userAgent: 'audit-test/passkeys',
  actor: { type: 'anonymous', id: null },
});

/** What `action` added of `type`, run inside a request context (returned for the checks). */
async function inRequest(type: string, action: () => Promise<unknown>) {
  const ctx = context();
  const rows: AuditRow[] = await runWithContext(ctx, () => rowsAdded(stores.db, type, action));
  return { rows, ctx };
}

async function registered() {
  const account = await newAccount();
  const authenticator = new SoftAuthenticator(account.id);
  const options = await ceremonies().registrationOptions(account);
  const { rows, ctx } = await inRequest('user.mfa_enrolled', async () => {
    expect((await ceremonies().register(account.id, authenticator.create(options.challenge), 'Key')).ok).toBe(
      true,
    );
  });
  return { account, authenticator, rows, ctx };
}

const uid = () => `interaction-${randomBytes(8).toString('hex')}`;

describe('passkeys in the audit trail', () => {
  it('records a registered passkey once, by the account, with the request', async () => {
    const { account, rows, ctx } = await registered();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor_type: 'account',
      actor_id: account.id,
      target_id: account.id,
      ip: ctx.ip,
      user_agent: ctx.userAgent,
      request_id: ctx.requestId,
      data: { factor: 'passkey' },
    });
  });

  it('records nothing for a credential registered already (the insert conflicts)', async () => {
    const { account, authenticator } = await registered();
    const again = await ceremonies().registrationOptions(account);
    const { rows } = await inRequest('user.mfa_enrolled', async () => {
      expect(await ceremonies().register(account.id, authenticator.create(again.challenge), 'x')).toEqual({
        ok: false,
        reason: 'duplicate',
      });
    });
    expect(rows).toHaveLength(0);
  });

  it('records a refused assertion at the second step as second_factor, and none without a challenge', async () => {
    const { account, authenticator } = await registered();
    const subject = uid();
    const options = await ceremonies().authenticationOptions('second_factor', subject, account.id);
    const { rows } = await inRequest('user.sign_in_failed', async () => {
      const result = await ceremonies().authenticate(
        'second_factor',
        subject,
        authenticator.get(options.challenge, { origin: 'https://evil.example' }),
        account.id,
        'demo-web',
      );
      expect(result.ok).toBe(false);
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      target_type: 'account',
      target_id: account.id,
      data: { reason: 'second_factor', method: 'passkey', client_id: 'demo-web' },
    });
    // The challenge was spent: a second try shows no credential, records nothing.
    const { rows: none } = await inRequest('user.sign_in_failed', () =>
      ceremonies().authenticate('second_factor', subject, authenticator.get(options.challenge), account.id),
    );
    expect(none).toHaveLength(0);
  });

  it('records an unknown passkey as the first factor like a wrong password, without an account', async () => {
    const stranger = new SoftAuthenticator('no-such-account');
    const subject = uid();
    const options = await ceremonies().authenticationOptions('sign_in', subject);
    const { rows } = await inRequest('user.sign_in_failed', () =>
      ceremonies().authenticate('sign_in', subject, stranger.get(options.challenge)),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      target_id: null,
      data: { reason: 'invalid_credentials', method: 'passkey' },
    });
  });

  it('records the removal of the last passkey with the recovery codes that go with it', async () => {
    const { account, authenticator } = await registered();
    await stores.store.mfa.regenerateRecoveryCodes(account.id);
    const { rows } = await inRequest('user.mfa_removed', async () => {
      expect(await stores.store.mfa.removePasskey(account.id, b64url(authenticator.id))).toBe(true);
    });
    expect(rows.map((row) => row.data.factor)).toEqual(['passkey', 'recovery_codes']);
    const { rows: again } = await inRequest('user.mfa_removed', () =>
      stores.store.mfa.removePasskey(account.id, b64url(authenticator.id)),
    );
    expect(again).toHaveLength(0);
  });
});
