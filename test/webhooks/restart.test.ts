/**
 * Event webhooks across restarts and nodes: a delivery pending while its receiver is down survives
 * the node's stop and is delivered by the next node on the same database; a node that stops while a
 * delivery is in flight settles it first (no second delivery after the restart); two nodes on one
 * PostgreSQL database never deliver a row twice and keep the order of each subject. The nodes' logs
 * name the endpoint, message and attempt, never the secret or the payload.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { recordAudit } from '../../src/audit/record';
import { WEBHOOK_OUTBOX_TABLE } from '../../src/audit/webhook-outbox';
import type { Database } from '../../src/db/database';
import { REDACT_PATHS } from '../../src/log';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../support/database';
import { startTestServer, useTwoNodes, type TestServer } from '../support/server';
import { eventually, sleep } from '../support/wait';
import { startReceiver, type Receiver } from './receiver';

const ENV = { WEBHOOK_TIMEOUT_MS: '500', WEBHOOK_RETRIES: '20' };

function capture() {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  return {
    logs,
    logger: pino({ level: 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink),
  };
}

/** Records one audit event in a transaction, as a store does; returns its message id. */
async function record(db: Database, subject: string, marker = 'payload-marker'): Promise<string> {
  const id = await db.transaction((trx) =>
    recordAudit(trx, {
      type: 'session.ended',
      target: { type: 'session', id: subject },
      data: { reason: marker },
    }),
  );
  return `evt_${id}`;
}

async function rowOf(db: Database, messageId: string) {
  return db(WEBHOOK_OUTBOX_TABLE).where('message_id', messageId).first();
}

describe('a node restart', () => {
  let database: TestDatabase;
  let receiver: Receiver;
  let node: TestServer | undefined;
  const { logs, logger } = capture();

  beforeAll(async () => {
    database = await createTestDatabase({ persistent: true });
    receiver = await startReceiver();
  });

  afterAll(async () => {
    await node?.close();
    await receiver?.close();
    await database?.drop();
  });

  it('delivers what was pending when the node stopped, from the next node, once', async () => {
    node = await startTestServer({ database, env: ENV, logger });
    const { endpoint, secret } = await node.services.webhooks.create({
      url: receiver.url,
      events: ['session.ended'],
    });
    receiver.secret = secret;
    await receiver.down();
    const messageId = await record(node.services.db, 'sid-restart');
    const db = node.services.db;
    for (
      let row = await rowOf(db, messageId);
      !(row?.attempts >= 1 && row.last_error);
      row = await rowOf(db, messageId)
    )
      await sleep(50);
    await node.close();

    node = await startTestServer({ database, env: ENV, logger });
    await receiver.up();
    const [delivered] = await receiver.waitFor('session.ended', 1);
    expect(delivered).toMatchObject({ id: messageId, verified: true, answered: 200 });
    for (
      let row = await rowOf(node.services.db, messageId);
      row.status !== 'delivered';
      row = await rowOf(node.services.db, messageId)
    )
      await sleep(50);
    await sleep(1000);
    expect(receiver.of(messageId)).toHaveLength(1);

    const lines = logs.filter((l) => l.msg === 'webhook delivery' && l.message_id === messageId);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          endpoint_id: endpoint.id,
          attempt: 1,
          outcome: 'retried',
          reason: 'ECONNREFUSED',
        }),
        expect.objectContaining({ endpoint_id: endpoint.id, outcome: 'delivered', status: 200 }),
      ]),
    );
    const text = JSON.stringify(logs);
    expect(text).not.toContain(secret.slice('whsec_'.length));
    expect(text).not.toContain('payload-marker');
  });

  it('settles a delivery in flight before the node has stopped: it is not sent again', async () => {
    receiver.delayMs = 300;
    const db = node!.services.db;
    const messageId = await record(db, 'sid-in-flight');
    await receiver.waitFor('session.ended', 1, 'sid-in-flight');
    await node!.close();
    receiver.delayMs = 0;
    node = await startTestServer({ database, env: ENV, logger });
    expect(await rowOf(node.services.db, messageId)).toMatchObject({
      status: 'delivered',
      attempts: 1,
      last_status: 200,
    });
    await sleep(1500);
    expect(receiver.of(messageId)).toHaveLength(1);
  });
});

(usingPostgres ? describe : describe.skip)('two nodes on one database', () => {
  const nodes = useTwoNodes({ WEBHOOK_TIMEOUT_MS: '200', WEBHOOK_RETRIES: '20' });
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
  });

  afterAll(async () => {
    await receiver?.close();
  });

  it('never delivers a row twice, and keeps the order of each subject', async () => {
    const { endpoint, secret } = await nodes.a.services.webhooks.create({
      url: receiver.url,
      events: ['session.ended'],
    });
    receiver.secret = secret;
    receiver.respond.push(500, 200, 500, 200, 200, 'drop');
    const failures = 3;
    const sent: { id: string; subject: string }[] = [];
    for (let i = 0; i < 40; i += 1) {
      const subject = `sid-${i % 5}`;
      // Events are recorded through both nodes' pools.
      sent.push({ id: await record((i % 2 ? nodes.a : nodes.b).services.db, subject), subject });
    }
    await eventually(
      () => (receiver.received.filter((r) => r.answered === 200).length >= 40 ? true : undefined),
      30_000,
    );
    await sleep(1000);
    const ok = receiver.received.filter((r) => r.answered === 200);
    expect(ok.map((r) => r.id).sort()).toEqual(sent.map((s) => s.id).sort());
    expect(receiver.received).toHaveLength(40 + failures);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    for (let s = 0; s < 5; s += 1) {
      const subject = `sid-${s}`;
      const expected = sent.filter((e) => e.subject === subject).map((e) => e.id);
      expect(ok.filter((r) => r.body.data.target?.id === subject).map((r) => r.id)).toEqual(expected);
    }
    const counts = await nodes.b.services.webhooks.counts();
    expect(counts).toEqual([
      { endpointId: endpoint.id, pending: 0, delivered: 40, dead: 0, oldestPendingAt: null },
    ]);
  });
});
