/**
 * The webhook endpoint store (src/audit/webhooks.ts) and its outbox (src/audit/webhook-outbox.ts) on
 * either database: endpoints validated per field, the secret returned once and stored sealed, every
 * change audited without it; recordAudit queues a row per subscribed enabled endpoint; a due row is
 * claimed by one of any number of racing claimers (and of two pools, as two nodes have them), one at
 * a time and in order per endpoint and subject; settling is a compare-and-set on the attempt; replay
 * puts settled rows back under their message id; the purge deletes only rows settled a week ago.
 */
import { recordAudit } from '../../src/audit/record';
import {
  WEBHOOK_OUTBOX_TABLE,
  claimDue,
  deleteSettledWebhookBatch,
  replayDeliveries,
  settle,
  type ClaimedWebhook,
} from '../../src/audit/webhook-outbox';
import { WebhookStore } from '../../src/audit/webhooks';
import type { Database } from '../../src/db/database';
import { SecretBox } from '../../src/security/secret-box';
import { itAcrossPools, storeContract } from '../contracts/harness';

const SECRET_KEY = 'webhook-outbox-test-secret-key-0123456789';
const contract = storeContract((db) => ({
  db,
  webhooks: new WebhookStore(db, { secretKey: SECRET_KEY, production: false }),
  production: new WebhookStore(db, { secretKey: SECRET_KEY, production: true }),
}));

const store = () => contract.store.webhooks;

async function anEndpoint(events: string[] = ['user.updated'], enabled = true): Promise<string> {
  const { endpoint } = await store().create({ url: 'https://hooks.example.com/in', events, enabled });
  return endpoint.id;
}

let subjects = 0;
/** Records `n` user.updated events on one account (one subject); returns their message ids. */
async function events(n: number, account = `acct-${(subjects += 1)}`): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1)
    ids.push(
      `evt_${await recordAudit(contract.db, { type: 'user.updated', target: { type: 'account', id: account } })}`,
    );
  return ids;
}

async function rowsOf(endpointId: string) {
  return contract
    .db(WEBHOOK_OUTBOX_TABLE)
    .where('endpoint_id', endpointId)
    .orderBy('id')
    .select('message_id', 'status', 'attempts', 'subject', 'last_status', 'last_error');
}

const mineOnly = (rows: ClaimedWebhook[], endpointId: string) =>
  rows.filter((r) => r.endpointId === endpointId);

beforeEach(async () => {
  await contract.db('webhook_endpoints').delete();
});

describe('WebhookStore', () => {
  it('returns a whsec_ secret of 32 random bytes once, and stores it sealed', async () => {
    const { endpoint, secret } = await store().create({
      url: 'https://hooks.example.com/in',
      events: ['user.created', 'session.ended', 'user.created'],
      description: 'CRM',
    });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(endpoint).toEqual({
      id: expect.stringMatching(/^wh_[0-9a-f]{24}$/),
      url: 'https://hooks.example.com/in',
      events: ['user.created', 'session.ended'],
      description: 'CRM',
      enabled: true,
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
    const row = await contract.db('webhook_endpoints').where('id', endpoint.id).first();
    expect(row.secret_sealed).not.toContain(secret.slice(6));
    expect(new SecretBox(SECRET_KEY).open(row.secret_sealed)).toBe(secret);
    expect(await store().list()).toEqual([endpoint]);
    expect(await store().find(endpoint.id)).toEqual(endpoint);
    expect(await store().find('wh_nope')).toBeNull();
  });

  it('stores `*` alone when it is among the events', async () => {
    const { endpoint } = await store().create({
      url: 'http://localhost:9000/',
      events: ['user.created', '*'],
    });
    expect(endpoint.events).toEqual(['*']);
  });

  it.each([
    [
      { url: 'ftp://hooks.example.com/', events: ['user.created'] },
      { url: 'must be an absolute http(s) URL' },
    ],
    [{ url: 'not a url', events: ['user.created'] }, { url: 'must be an absolute http(s) URL' }],
    [{ url: 'https://u:p@hooks.example.com/', events: ['*'] }, { url: 'must not contain credentials' }],
    [{ url: 'https://hooks.example.com/#x', events: ['*'] }, { url: 'must not contain a fragment' }],
    [{ url: 'https://hooks.example.com/', events: [] }, { events: 'must list 1 or more event types, or *' }],
    [
      { url: 'https://hooks.example.com/', events: ['user.created', 'user.exploded'] },
      { events: 'unknown event type: user.exploded' },
    ],
    [
      { url: 'https://hooks.example.com/', events: ['*'], description: 'x'.repeat(256) },
      {
        description: 'must be at most 255 characters',
      },
    ],
  ])('refuses %j per field', async (input, details) => {
    await expect(store().create(input)).rejects.toMatchObject({
      code: 'invalid_request',
      status: 400,
      details,
    });
    expect(await contract.db('webhook_endpoints').count({ n: '*' })).toEqual([{ n: expect.anything() }]);
    expect(await store().list()).toEqual([]);
  });

  it('refuses http in production, but for a loopback host', async () => {
    const production = contract.store.production;
    await expect(
      production.create({ url: 'http://hooks.example.com/', events: ['*'] }),
    ).rejects.toMatchObject({
      details: { url: 'must be https in production (http only on a loopback host)' },
    });
    for (const url of [
      'http://127.0.0.1:9000/h',
      'http://localhost/h',
      'http://[::1]:8080/h',
      'https://hooks.example.com/',
    ])
      await expect(production.create({ url, events: ['*'] })).resolves.toMatchObject({ endpoint: { url } });
  });

  it('updates the fields given, rotates the secret, deletes, and audits each change without the secret', async () => {
    const { endpoint, secret } = await store().create({
      url: 'https://a.example.com/',
      events: ['user.created'],
    });
    const updated = await store().update(endpoint.id, { url: 'https://b.example.com/', enabled: false });
    expect(updated).toMatchObject({
      url: 'https://b.example.com/',
      enabled: false,
      events: ['user.created'],
    });
    await expect(store().update(endpoint.id, { events: ['nope'] })).rejects.toMatchObject({
      details: { events: 'unknown event type: nope' },
    });
    expect(await store().update('wh_000000000000000000000000', { enabled: true })).toBeNull();
    const rotated = await store().rotateSecret(endpoint.id);
    expect(rotated!.secret).toMatch(/^whsec_/);
    expect(rotated!.secret).not.toBe(secret);
    const row = await contract.db('webhook_endpoints').where('id', endpoint.id).first();
    expect(new SecretBox(SECRET_KEY).open(row.secret_sealed)).toBe(rotated!.secret);
    expect(await store().delete(endpoint.id)).toBe(true);
    expect(await store().delete(endpoint.id)).toBe(false);

    const audited = await contract
      .db('audit_events')
      .where({ target_type: 'webhook', target_id: endpoint.id })
      .orderBy('id')
      .select('type', 'data');
    expect(audited).toEqual([
      { type: 'webhook.created', data: { host: 'a.example.com', events: ['user.created'], enabled: true } },
      { type: 'webhook.updated', data: { fields: ['url', 'enabled'] } },
      { type: 'webhook.updated', data: { fields: ['secret'] } },
      { type: 'webhook.deleted', data: {} },
    ]);
    const text = JSON.stringify(await contract.db('audit_events').select('data'));
    expect(text).not.toContain(secret.slice(6));
    expect(text).not.toContain(rotated!.secret.slice(6));
  });
});

describe('the outbox', () => {
  it('queues a row per enabled endpoint subscribed to the type or to *', async () => {
    const [subscribed, all, other, disabled] = [
      await anEndpoint(['user.updated']),
      await anEndpoint(['*']),
      await anEndpoint(['user.created']),
      await anEndpoint(['user.updated'], false),
    ];
    const [messageId] = await events(1, 'acct-q');
    // `*` also received the webhook.created events of the endpoints registered after it.
    for (const id of [subscribed, all])
      expect((await rowsOf(id)).filter((row) => row.subject === 'account:acct-q')).toEqual([
        {
          message_id: messageId,
          status: 'pending',
          attempts: 0,
          subject: 'account:acct-q',
          last_status: null,
          last_error: null,
        },
      ]);
    expect(await rowsOf(other)).toEqual([]);
    expect(await rowsOf(disabled)).toEqual([]);
  });

  it('claims one row per subject at a time, in order: the next waits while the first is retried', async () => {
    const endpoint = await anEndpoint();
    const [first, second] = await events(2, 'acct-order');
    const [third] = await events(1, 'acct-elsewhere');
    const claimed = mineOnly(await claimDue(contract.db, 10, 60_000), endpoint);
    expect(claimed.map((r) => r.messageId)).toEqual([first, third]);
    expect(claimed[0]).toMatchObject({
      attempts: 1,
      subject: 'account:acct-order',
      url: 'https://hooks.example.com/in',
    });
    expect(JSON.parse(claimed[0]!.body)).toMatchObject({
      type: 'user.updated',
      data: { event_id: first!.slice(4) },
    });

    // The first fails and is due again at once: it, not the second, is claimed next.
    expect(
      await settle(contract.db, claimed[0]!, {
        outcome: 'retry',
        retryAfterMs: 0,
        status: 503,
        error: 'status 503',
      }),
    ).toBe(true);
    const again = mineOnly(await claimDue(contract.db, 10, 60_000), endpoint);
    expect(again.map((r) => [r.messageId, r.attempts])).toEqual([[first, 2]]);
    expect(await settle(contract.db, again[0]!, { outcome: 'delivered', status: 204 })).toBe(true);
    const next = mineOnly(await claimDue(contract.db, 10, 60_000), endpoint);
    expect(next.map((r) => r.messageId)).toEqual([second]);
    // A dead row lets the next of its subject go too.
    await settle(contract.db, next[0]!, { outcome: 'dead', status: null, error: 'ECONNREFUSED' });
    expect(await rowsOf(endpoint)).toEqual([
      expect.objectContaining({
        message_id: first,
        status: 'delivered',
        attempts: 2,
        last_status: 204,
        last_error: null,
      }),
      expect.objectContaining({
        message_id: second,
        status: 'dead',
        attempts: 1,
        last_status: null,
        last_error: 'ECONNREFUSED',
      }),
      expect.objectContaining({ message_id: third, status: 'pending', attempts: 1 }),
    ]);
  });

  it('claims nothing of a disabled endpoint until it is enabled again', async () => {
    const endpoint = await anEndpoint();
    await events(1);
    await store().update(endpoint, { enabled: false });
    expect(mineOnly(await claimDue(contract.db, 10, 60_000), endpoint)).toEqual([]);
    await store().update(endpoint, { enabled: true });
    expect(mineOnly(await claimDue(contract.db, 10, 60_000), endpoint)).toHaveLength(1);
  });

  it('hands each due row to one of many racing claimers, and none before its lease ends', async () => {
    const endpoint = await anEndpoint();
    for (let i = 0; i < 10; i += 1) await events(1);
    const claims = await Promise.all(Array.from({ length: 8 }, () => claimDue(contract.db, 3, 60_000)));
    const ids = claims.flat().map((r) => r.id);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    expect(claims.flat().every((r) => r.attempts === 1 && r.endpointId === endpoint)).toBe(true);
    expect(await claimDue(contract.db, 10, 60_000)).toEqual([]);
  });

  itAcrossPools('hands a row to one of two pools (two nodes)', async () => {
    await anEndpoint();
    for (let i = 0; i < 20; i += 1) await events(1);
    const other = contract.other!.db as Database;
    const [a, b] = await Promise.all([claimDue(contract.db, 20, 60_000), claimDue(other, 20, 60_000)]);
    expect(a.length + b.length).toBe(20);
    expect(new Set([...a, ...b].map((r) => r.id)).size).toBe(20);
  });

  it('settles once: the holder of a stale attempt (its lease ran out, the row was reclaimed) changes nothing', async () => {
    const endpoint = await anEndpoint();
    await events(1);
    const [stale] = await claimDue(contract.db, 1, 0);
    const [current] = await claimDue(contract.db, 1, 60_000);
    expect(current).toMatchObject({ id: stale!.id, attempts: 2 });
    expect(await settle(contract.db, stale!, { outcome: 'delivered', status: 200 })).toBe(false);
    expect(await settle(contract.db, current!, { outcome: 'dead', status: 500, error: 'status 500' })).toBe(
      true,
    );
    expect(await settle(contract.db, current!, { outcome: 'delivered', status: 200 })).toBe(false);
    expect(await rowsOf(endpoint)).toEqual([expect.objectContaining({ status: 'dead', attempts: 2 })]);
  });

  it('replays dead rows (or named ones) as pending, due now, under the same message id; counts per status', async () => {
    const endpoint = await anEndpoint();
    const [a, b, c] = [...(await events(1)), ...(await events(1)), ...(await events(1))];
    const claimed = await claimDue(contract.db, 10, 60_000);
    const byMessage = new Map(claimed.map((r) => [r.messageId, r]));
    await settle(contract.db, byMessage.get(a!)!, { outcome: 'dead', status: 500, error: 'status 500' });
    await settle(contract.db, byMessage.get(b!)!, { outcome: 'delivered', status: 200 });
    expect(await store().counts()).toEqual([
      { endpointId: endpoint, pending: 1, delivered: 1, dead: 1, oldestPendingAt: expect.any(Date) },
    ]);

    expect(
      await replayDeliveries(contract.db, endpoint, { status: 'dead', since: new Date(Date.now() + 60_000) }),
    ).toBe(0);
    expect(await store().replay(endpoint, { status: 'dead' })).toBe(1);
    // A pending row is not "replayed"; a delivered one named is.
    expect(await store().replay(endpoint, { messageIds: [b!, c!, 'evt_0'] })).toBe(1);
    expect(await rowsOf(endpoint)).toEqual([
      {
        message_id: a,
        status: 'pending',
        attempts: 0,
        subject: expect.any(String),
        last_status: null,
        last_error: null,
      },
      {
        message_id: b,
        status: 'pending',
        attempts: 0,
        subject: expect.any(String),
        last_status: null,
        last_error: null,
      },
      expect.objectContaining({ message_id: c, status: 'pending', attempts: 1 }),
    ]);
    const due = await claimDue(contract.db, 10, 60_000);
    expect(due.map((r) => r.messageId).sort()).toEqual([a, b].sort());
    expect((await store().deliveries(endpoint, { status: 'pending' })).map((d) => d.messageId)).toEqual([
      c,
      b,
      a,
    ]);
  });

  it('purges delivered and dead rows settled more than 7 days ago, never pending ones', async () => {
    const endpoint = await anEndpoint();
    const ids = [...(await events(1)), ...(await events(1)), ...(await events(1)), ...(await events(1))];
    const claimed = new Map((await claimDue(contract.db, 10, 60_000)).map((r) => [r.messageId, r]));
    await settle(contract.db, claimed.get(ids[0]!)!, { outcome: 'delivered', status: 200 });
    await settle(contract.db, claimed.get(ids[1]!)!, { outcome: 'dead', status: 500, error: 'status 500' });
    await settle(contract.db, claimed.get(ids[2]!)!, { outcome: 'delivered', status: 200 });
    const old = new Date(Date.now() - 8 * 86_400_000);
    await contract
      .db(WEBHOOK_OUTBOX_TABLE)
      .whereIn('message_id', [ids[0]!, ids[1]!])
      .update({ settled_at: old });
    await contract.db(WEBHOOK_OUTBOX_TABLE).where('message_id', ids[3]!).update({ created_at: old });
    expect(await deleteSettledWebhookBatch(contract.db, 1)).toBe(1);
    expect(await deleteSettledWebhookBatch(contract.db, 100)).toBe(1);
    expect(await deleteSettledWebhookBatch(contract.db, 100)).toBe(0);
    expect((await rowsOf(endpoint)).map((r) => r.message_id)).toEqual([ids[2], ids[3]]);
  });
});
