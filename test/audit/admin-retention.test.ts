/**
 * Retention: the purge deletes audit events older than AUDIT_RETENTION days, in batches, and
 * webhook deliveries settled (delivered or dead) more than a week ago, never a pending one; the
 * node's periodic purge tells the metrics what each run deleted.
 */
import { purgeOnce, startPurgeJob } from '../../src/jobs/purge';
import { createLogger } from '../../src/log';
import type { MetricsSink } from '../../src/metrics/sink';
import { storeContract } from '../contracts/harness';

const stores = storeContract((db) => ({ db }));
const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);

async function insertEvents(ages: number[], marker: string): Promise<void> {
  await stores.db('audit_events').insert(
    ages.map((age, i) => ({
      type: 'user.updated',
      occurred_at: daysAgo(age),
      actor_type: 'system',
      target_type: 'account',
      target_id: `${marker}-${age}-${i}`,
      data: JSON.stringify({ fields: ['email'] }),
    })),
  );
}

it('deletes audit events older than the retention, in batches, and keeps the rest', async () => {
  const { db } = stores;
  await insertEvents([400, 200, 120, 91, 90.5, 89, 10, 0], 'r');
  const batches: number[] = [];
  const total = await purgeOnce(db, {
    batchSize: 2,
    auditRetentionDays: 90,
    onBatch: (table, deleted) => table === 'audit_events' && batches.push(deleted),
  });
  // Five too old, two per batch: 2, 2, 1.
  expect(batches).toEqual([2, 2, 1]);
  expect(total).toBeGreaterThanOrEqual(5);
  const left: string[] = await db('audit_events')
    .whereLike('target_id', 'r-%')
    .orderBy('id')
    .pluck('target_id');
  expect(left).toEqual(['r-89-5', 'r-10-6', 'r-0-7']);
  // A shorter retention takes more.
  await purgeOnce(db, { auditRetentionDays: 5 });
  expect(await db('audit_events').whereLike('target_id', 'r-%').pluck('target_id')).toEqual(['r-0-7']);
});

it('deletes webhook deliveries settled more than a week ago, never pending ones', async () => {
  const { db } = stores;
  await db('webhook_endpoints').insert({
    id: 'wh_retention',
    url: 'https://hooks.example.com/in',
    events: JSON.stringify(['*']),
    secret_sealed: 'sealed',
  });
  const row = (id: string, status: string, settledDaysAgo: number | null, createdDaysAgo = 40) => ({
    endpoint_id: 'wh_retention',
    message_id: `evt_${id}`,
    type: 'user.updated',
    subject: `account:${id}`,
    payload: JSON.stringify({ id }),
    status,
    created_at: daysAgo(createdDaysAgo),
    settled_at: settledDaysAgo === null ? null : daysAgo(settledDaysAgo),
  });
  await db('webhook_outbox').insert([
    row('old-delivered', 'delivered', 8),
    row('old-dead', 'dead', 30),
    row('new-delivered', 'delivered', 1),
    row('new-dead', 'dead', 6),
    row('old-pending', 'pending', null),
  ]);
  await purgeOnce(db, { auditRetentionDays: 90 });
  const left: string[] = await db('webhook_outbox').orderBy('id').pluck('message_id');
  expect(left).toEqual(['evt_new-delivered', 'evt_new-dead', 'evt_old-pending']);
});

it('tells the metrics what each periodic run deleted, per table', async () => {
  const { db } = stores;
  await insertEvents([100, 100, 100], 'm');
  const runs: Readonly<Record<string, number>>[] = [];
  const metrics = { purgeRun: (deleted) => runs.push(deleted) } as Pick<MetricsSink, 'purgeRun'>;
  const job = startPurgeJob({
    db,
    logger: createLogger('silent'),
    intervalSeconds: 1,
    auditRetentionDays: 90,
    metrics: metrics as MetricsSink,
  });
  try {
    for (let i = 0; i < 50 && runs.length === 0; i += 1) await new Promise((r) => setTimeout(r, 100));
  } finally {
    await job.stop();
  }
  expect(runs[0]).toMatchObject({ audit_events: 3, webhook_outbox: 0 });
  expect(Number((await db('audit_events').whereLike('target_id', 'm-%').count({ n: '*' }).first())!.n)).toBe(
    0,
  );
});
