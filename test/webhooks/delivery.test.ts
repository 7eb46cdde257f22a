/**
 * Event webhooks end to end on one node: endpoints registered through the admin API, events caused
 * through the admin API, and a real receiver on 127.0.0.1 that verifies every delivery with the
 * `standardwebhooks` package. A subscribed event is delivered once, signed, with its payload; the
 * events of one subject arrive in order even when the first is retried; a receiver that is down gets
 * the delivery once it is back, after backoffs that double; a delivery failing every retry is dead,
 * and a replay sends it again under the same webhook-id.
 */
import { ADMIN, TEST_PASSWORD } from '../support/fixtures';
import { eventually, sleep } from '../support/wait';
import { accessToken, api, startApiNode, type ApiNode } from '../api/support';
import { startReceiver, type Receiver } from './receiver';

const TIMEOUT_MS = 200;
const RETRIES = 3;

let node: ApiNode;
let admin: string;
let receiver: Receiver;

beforeAll(async () => {
  node = await startApiNode({ WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS), WEBHOOK_RETRIES: String(RETRIES) });
  admin = await accessToken(node, 'admin', ADMIN.username);
});

afterAll(async () => {
  await node?.stop();
});

beforeEach(async () => {
  receiver = await startReceiver();
});

afterEach(async () => {
  // Each test's endpoint goes with its receiver: nothing is left to deliver into the next test.
  for (const { id } of await node.services.webhooks.list()) await node.services.webhooks.delete(id);
  await receiver.close();
});

interface Delivery {
  message_id: string;
  status: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
}

async function register(events: string[]): Promise<string> {
  const created = await api(node, 'POST', '/api/admin/webhooks', {
    token: admin,
    json: { url: receiver.url, events },
  });
  expect(created.status).toBe(201);
  const { id, secret } = created.body as { id: string; secret: string };
  receiver.secret = secret;
  return id;
}

let users = 0;
async function createUser(headers: Record<string, string> = {}): Promise<string> {
  users += 1;
  const created = await api(node, 'POST', '/api/admin/users', {
    token: admin,
    headers,
    json: { username: `hook-${users}-${process.pid}`, password: TEST_PASSWORD },
  });
  expect(created.status).toBe(201);
  return (created.body as { id: string }).id;
}

async function deliveries(endpoint: string): Promise<Delivery[]> {
  const listed = await api(node, 'GET', `/api/admin/webhooks/${endpoint}/deliveries`, { token: admin });
  expect(listed.status).toBe(200);
  return (listed.body as { deliveries: Delivery[] }).deliveries;
}

/** Waits until the endpoint's delivery of `messageId` satisfies `check`. */
async function deliveryOf(endpoint: string, messageId: string, check: (d: Delivery) => boolean) {
  const until = Date.now() + 15_000;
  for (;;) {
    const found = (await deliveries(endpoint)).find((d) => d.message_id === messageId);
    if (found && check(found)) return found;
    if (Date.now() > until) throw new Error(`delivery ${messageId}: ${JSON.stringify(found)}`);
    await sleep(50);
  }
}

describe('event webhooks', () => {
  it('delivers a subscribed event once, signed per Standard Webhooks, with its payload', async () => {
    const endpoint = await register(['user.created']);
    const userId = await createUser({ 'X-Request-Id': 'hook-request-1' });
    const [received] = await receiver.waitFor('user.created', 1, userId);
    expect(received!.verified).toBe(true);
    expect(received!.contentType).toBe('application/json');
    expect(received!.id).toMatch(/^evt_\d+$/);
    expect(Math.abs(Number(received!.timestamp) - Date.now() / 1000)).toBeLessThan(30);
    expect(received!.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(received!.body).toEqual({
      type: 'user.created',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: {
        event_id: received!.id.slice('evt_'.length),
        actor: { type: 'account', id: expect.any(String) },
        target: { type: 'account', id: userId },
        request_id: 'hook-request-1',
        details: expect.objectContaining({ username: `hook-${users}-${process.pid}` }),
      },
    });
    // The audit event it came from is the one the trail holds.
    const event = await node.services.db('audit_events').where('id', received!.body.data.event_id).first();
    expect(event).toMatchObject({ type: 'user.created', target_id: userId });

    await deliveryOf(endpoint, received!.id, (d) => d.status === 'delivered');
    await sleep(3 * TIMEOUT_MS);
    expect(receiver.of(received!.id)).toHaveLength(1);
    // An event it did not subscribe to is not delivered.
    await api(node, 'PATCH', `/api/admin/users/${userId}`, { token: admin, json: { given_name: 'Ada' } });
    await sleep(3 * TIMEOUT_MS);
    expect(receiver.received.map((r) => r.body.type)).toEqual(['user.created']);
  });

  it('keeps the order of one subject: the second event waits while the first is retried', async () => {
    const userId = await createUser();
    await register(['user.updated']);
    receiver.respond.push(500, 500, 'drop');
    for (const given_name of ['First', 'Second']) {
      const patched = await api(node, 'PATCH', `/api/admin/users/${userId}`, {
        token: admin,
        json: { given_name },
      });
      expect(patched.status).toBe(200);
    }
    await receiver.waitFor('user.updated', 5, userId);
    await sleep(3 * TIMEOUT_MS);
    const got = receiver.received.map((r) => ({ id: r.id, answered: r.answered, verified: r.verified }));
    const [first, second] = [...new Set(got.map((g) => g.id))];
    expect(Number(first!.slice(4))).toBeLessThan(Number(second!.slice(4)));
    expect(got).toEqual([
      { id: first, answered: 500, verified: true },
      { id: first, answered: 500, verified: true },
      { id: first, answered: 'drop', verified: true },
      { id: first, answered: 200, verified: true },
      { id: second, answered: 200, verified: true },
    ]);
    // The same body every attempt: what was signed is what was stored.
    expect(new Set(receiver.of(first!).map((r) => r.raw)).size).toBe(1);
  });

  it('retries a receiver that is down, with doubling backoffs, and delivers once it is back', async () => {
    const endpoint = await register(['user.created']);
    await receiver.down();
    await createUser();
    const [pending] = await deliveries(endpoint);
    const failed = await deliveryOf(endpoint, pending!.message_id, (d) => d.attempts >= 2);
    expect(failed).toMatchObject({ status: 'pending', last_status: null, last_error: 'ECONNREFUSED' });
    await receiver.up();
    const delivered = await deliveryOf(endpoint, pending!.message_id, (d) => d.status === 'delivered');
    expect(delivered).toMatchObject({ last_status: 200, last_error: null });
    expect(delivered.attempts).toBeGreaterThanOrEqual(3);
    await sleep(3 * TIMEOUT_MS);
    expect(receiver.of(pending!.message_id)).toEqual([
      expect.objectContaining({ verified: true, answered: 200 }),
    ]);
  });

  it('dead-letters after the last retry, backing off 200, 400, 800 ms; a replay delivers it', async () => {
    const endpoint = await register(['user.created']);
    receiver.respond.push(503, 503, 503, 503);
    const userId = await createUser();
    const attempts = await receiver.waitFor('user.created', RETRIES + 1, userId);
    const messageId = attempts[0]!.id;
    const dead = await deliveryOf(endpoint, messageId, (d) => d.status === 'dead');
    expect(dead).toMatchObject({ attempts: RETRIES + 1, last_status: 503, last_error: 'status 503' });
    expect(attempts.every((a) => a.id === messageId && a.verified)).toBe(true);
    const gaps = attempts.slice(1).map((a, i) => a.at - attempts[i]!.at);
    [200, 400, 800].forEach((backoff, i) => expect(gaps[i]).toBeGreaterThanOrEqual(backoff - 50));
    const endpointView = await api(node, 'GET', `/api/admin/webhooks/${endpoint}`, { token: admin });
    expect(endpointView.body).toMatchObject({ deliveries: { pending: 0, delivered: 0, dead: 1 } });

    // Nothing more happens to a dead delivery by itself.
    await sleep(4 * TIMEOUT_MS);
    expect(receiver.of(messageId)).toHaveLength(RETRIES + 1);

    const replayed = await api(node, 'POST', `/api/admin/webhooks/${endpoint}/replay`, {
      token: admin,
      json: { status: 'dead' },
    });
    expect(replayed).toMatchObject({ status: 200, body: { replayed: 1 } });
    await eventually(() => (receiver.of(messageId).length === RETRIES + 2 ? true : undefined));
    expect(receiver.of(messageId).at(-1)).toMatchObject({ answered: 200, verified: true });
    expect(await deliveryOf(endpoint, messageId, (d) => d.status === 'delivered')).toMatchObject({
      attempts: 1,
    });
  });
});
