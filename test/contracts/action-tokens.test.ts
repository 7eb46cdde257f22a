/**
 * The single-use link store: a token is spent once, by one of any number of racing callers; an
 * expired, unknown or other-purpose token is nothing; only a keyed hash is stored; the purge takes
 * tokens a day past their expiry.
 */
import { ActionTokenStore } from '../../src/accounts/action-tokens';
import { purgeOnce } from '../../src/jobs/purge';
import { itAcrossPools, storeContract } from './harness';

const SECRET = 'contract-secret-key-0123456789abcdef';
const contract = storeContract((db) => new ActionTokenStore(db, SECRET));

async function anAccount(): Promise<string> {
  const id = crypto.randomUUID();
  await contract.db('accounts').insert({ id, username: `u-${id}`, password_hash: 'x' });
  return id;
}

it('issues a token that peeks until it is spent, and is spent once', async () => {
  const accountId = await anAccount();
  const issued = await contract.store.issue('password_reset', { accountId, email: 'a@example.com' }, 60);
  expect(issued.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(await contract.store.peek('password_reset', issued.token)).toMatchObject({
    purpose: 'password_reset',
    accountId,
    email: 'a@example.com',
    data: null,
  });
  const spent = await contract.store.consume('password_reset', issued.token);
  expect(spent).toMatchObject({ accountId, email: 'a@example.com' });
  expect(await contract.store.consume('password_reset', issued.token)).toBeNull();
  expect(await contract.store.peek('password_reset', issued.token)).toBeNull();
});

it('stores no token, only its keyed hash', async () => {
  const issued = await contract.store.issue(
    'invitation',
    { email: 'b@example.com', data: { roles: ['x'] } },
    60,
  );
  const rows = await contract.db('action_tokens').where('email', 'b@example.com');
  expect(rows).toHaveLength(1);
  expect(JSON.stringify(rows)).not.toContain(issued.token);
  expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
  expect((await contract.store.peek('invitation', issued.token))?.data).toEqual({ roles: ['x'] });
});

it('refuses a token of another purpose, an expired one and anything not shaped like one', async () => {
  const accountId = await anAccount();
  const reset = await contract.store.issue('password_reset', { accountId }, 60);
  expect(await contract.store.consume('email_verification', reset.token)).toBeNull();
  const expired = await contract.store.issue('password_reset', { accountId }, 60);
  await contract
    .db('action_tokens')
    .where('account_id', accountId)
    .update({ expires_at: new Date(Date.now() - 1000) });
  expect(await contract.store.consume('password_reset', expired.token)).toBeNull();
  for (const junk of [undefined, null, '', 42, 'x'.repeat(129), { token: reset.token }])
    expect(await contract.store.consume('password_reset', junk)).toBeNull();
});

it('gives a token to exactly one of twenty racing spenders', async () => {
  const issued = await contract.store.issue('password_reset', { accountId: await anAccount() }, 60);
  const results = await Promise.all(
    Array.from({ length: 20 }, () => contract.store.consume('password_reset', issued.token)),
  );
  expect(results.filter(Boolean)).toHaveLength(1);
});

itAcrossPools('gives a token to one of two nodes racing for it', async () => {
  const issued = await contract.store.issue('password_reset', { accountId: await anAccount() }, 60);
  const results = await Promise.all([
    contract.store.consume('password_reset', issued.token),
    contract.other!.consume('password_reset', issued.token),
  ]);
  expect(results.filter(Boolean)).toHaveLength(1);
});

it('revokes the unspent tokens of one account and purpose', async () => {
  const accountId = await anAccount();
  const a = await contract.store.issue('password_reset', { accountId }, 60);
  const b = await contract.store.issue('email_verification', { accountId }, 60);
  expect(await contract.store.revokeFor(accountId, 'password_reset')).toBe(1);
  expect(await contract.store.peek('password_reset', a.token)).toBeNull();
  expect(await contract.store.peek('email_verification', b.token)).not.toBeNull();
});

it('is purged a day after it expired', async () => {
  const old = await contract.store.issue('invitation', { email: 'old@example.com' }, 60);
  const fresh = await contract.store.issue('invitation', { email: 'fresh@example.com' }, 60);
  await contract
    .db('action_tokens')
    .where('email', 'old@example.com')
    .update({ expires_at: new Date(Date.now() - 2 * 86_400_000) });
  const deleted: Record<string, number> = {};
  await purgeOnce(contract.db, { onBatch: (table, n) => (deleted[table] = (deleted[table] ?? 0) + n) });
  expect(deleted.action_tokens).toBeGreaterThanOrEqual(1);
  expect(await contract.db('action_tokens').where('email', 'old@example.com')).toEqual([]);
  expect(await contract.store.peek('invitation', fresh.token)).not.toBeNull();
  expect(await contract.store.peek('invitation', old.token)).toBeNull();
});
