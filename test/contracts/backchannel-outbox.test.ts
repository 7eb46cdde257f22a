/**
 * The back-channel logout outbox (src/oidc/backchannel-outbox.ts) on either database: only clients
 * registered for it get rows; a due row is claimed by one of any number of racing claimers (and by
 * one of two pools, as two nodes have them); settling is a compare-and-set on the attempt, so a row
 * reclaimed after its lease is settled once; the counts add up per client.
 */
import { randomUUID } from 'node:crypto';
import {
  OUTBOX_TABLE,
  claimDueLogouts,
  logoutCounts,
  queueLogouts,
  settleLogout,
  type ClaimedLogout,
} from '../../src/oidc/backchannel-outbox';
import { itAcrossPools, storeContract } from './harness';

const contract = storeContract((db) => db);

async function aClient(backchannel: boolean): Promise<string> {
  const clientId = `bcl-${randomUUID()}`;
  const metadata = {
    client_id: clientId,
    ...(backchannel ? { backchannel_logout_uri: 'https://rp.example/bcl' } : {}),
  };
  await contract.db('clients').insert({ client_id: clientId, metadata: JSON.stringify(metadata) });
  return clientId;
}

beforeEach(async () => {
  await contract.db(OUTBOX_TABLE).delete();
});

describe('queueLogouts', () => {
  it('queues only the clients with a backchannel_logout_uri', async () => {
    const [yes, no] = [await aClient(true), await aClient(false)];
    const accountId = randomUUID();
    const queued = await queueLogouts(contract.db, [
      { clientId: yes, accountId, sid: 'sid-1' },
      { clientId: no, accountId, sid: 'sid-2' },
      { clientId: 'no-such-client', accountId, sid: null },
    ]);
    expect(queued).toBe(1);
    const rows = await contract.db(OUTBOX_TABLE).select('client_id', 'account_id', 'sid', 'attempts');
    expect(rows).toEqual([{ client_id: yes, account_id: accountId, sid: 'sid-1', attempts: 0 }]);
  });
});

describe('claimDueLogouts', () => {
  it('hands each due row to one of many racing claimers, and none before it is due again', async () => {
    const clientId = await aClient(true);
    await queueLogouts(
      contract.db,
      Array.from({ length: 10 }, () => ({ clientId, accountId: randomUUID(), sid: null })),
    );
    const claims = await Promise.all(
      Array.from({ length: 8 }, () => claimDueLogouts(contract.db, 3, 60_000)),
    );
    const ids = claims.flat().map((row) => row.id);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    expect(claims.flat().every((row) => row.attempts === 1)).toBe(true);
    // Leased: nothing is due.
    expect(await claimDueLogouts(contract.db, 10, 60_000)).toEqual([]);
  });

  itAcrossPools('hands a row to one of two pools (two nodes)', async () => {
    const clientId = await aClient(true);
    await queueLogouts(contract.db, [{ clientId, accountId: randomUUID(), sid: null }]);
    const [a, b] = await Promise.all([
      claimDueLogouts(contract.db, 5, 60_000),
      claimDueLogouts(contract.other!, 5, 60_000),
    ]);
    expect(a.length + b.length).toBe(1);
  });
});

describe('settleLogout', () => {
  it('settles a row once: the holder of a stale attempt changes nothing', async () => {
    const clientId = await aClient(true);
    await queueLogouts(contract.db, [{ clientId, accountId: randomUUID(), sid: 's' }]);
    // Claimed with a lease that runs out at once, then reclaimed: attempt 2 is the one that counts.
    const [stale] = await claimDueLogouts(contract.db, 1, 0);
    const [current] = await claimDueLogouts(contract.db, 1, 60_000);
    expect(current!.attempts).toBe(2);
    expect(await settleLogout(contract.db, stale!, { outcome: 'delivered' })).toBe(false);
    const results = await Promise.all([
      settleLogout(contract.db, current!, { outcome: 'delivered' }),
      settleLogout(contract.db, current!, { outcome: 'delivered' }),
    ]);
    expect(results.sort()).toEqual([false, true]);
    expect(await contract.db(OUTBOX_TABLE).where({ client_id: clientId })).toEqual([]);
    const counts = (await logoutCounts(contract.db)).find((c) => c.clientId === clientId);
    expect(counts).toEqual({ clientId, delivered: 1, failed: 0, retried: 0, pending: 0 });
  });

  it('a retry waits out its backoff, is counted, and the last failure ends the row', async () => {
    const clientId = await aClient(true);
    await queueLogouts(contract.db, [{ clientId, accountId: randomUUID(), sid: null }]);
    const [first] = (await claimDueLogouts(contract.db, 1, 60_000)) as ClaimedLogout[];
    expect(
      await settleLogout(contract.db, first!, { outcome: 'retry', retryAfterMs: 60_000, error: 'timeout' }),
    ).toBe(true);
    expect(await claimDueLogouts(contract.db, 1, 60_000)).toEqual([]);
    let counts = (await logoutCounts(contract.db)).find((c) => c.clientId === clientId);
    expect(counts).toEqual({ clientId, delivered: 0, failed: 0, retried: 1, pending: 1 });
    await contract
      .db(OUTBOX_TABLE)
      .where({ client_id: clientId })
      .update({ next_attempt_at: new Date(0) });
    const [second] = await claimDueLogouts(contract.db, 1, 60_000);
    expect(second!.attempts).toBe(2);
    expect(await settleLogout(contract.db, second!, { outcome: 'failed' })).toBe(true);
    counts = (await logoutCounts(contract.db)).find((c) => c.clientId === clientId);
    expect(counts).toEqual({ clientId, delivered: 0, failed: 1, retried: 1, pending: 0 });
  });
});
