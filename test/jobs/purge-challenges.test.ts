/**
 * The purge takes WebAuthn challenges of ceremonies that were begun and never finished once they
 * expire, and leaves the ones still in progress.
 */
import { purgeOnce } from '../../src/jobs/purge';
import { storeContract } from '../contracts/harness';

const stores = storeContract((db) => ({ db }));

it('deletes expired challenges and keeps live ones', async () => {
  const { db } = stores;
  const at = (seconds: number) => new Date(Date.now() + seconds * 1000);
  await db('webauthn_challenges').insert([
    { id: 'expired-1', purpose: 'login', subject: 'uid-1', challenge: 'c1', expires_at: at(-60) },
    { id: 'expired-2', purpose: 'register', subject: 'account-1', challenge: 'c2', expires_at: at(-1) },
    { id: 'live', purpose: 'login', subject: 'uid-2', challenge: 'c3', expires_at: at(300) },
  ]);
  const tables: Record<string, number> = {};
  await purgeOnce(db, { onBatch: (table, deleted) => (tables[table] = (tables[table] ?? 0) + deleted) });
  expect(tables.webauthn_challenges).toBe(2);
  const left = await db('webauthn_challenges').pluck('id');
  expect(left).toEqual(['live']);
});
