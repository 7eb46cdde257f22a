/**
 * /api/admin/webhooks over real HTTP, every answer checked against the node's OpenAPI document:
 * register (the secret in that answer only), list and read (never the secret), change, rotate the
 * secret, delete; 400 naming the field for a bad URL, an unknown event or a bad replay; 404 for an
 * unknown id; only administrators; each change in the audit trail, without the secret.
 */
import { api, startAdminApiNode, type ApiNode } from '../api/support';

let node: ApiNode;
let admin: string;

beforeAll(async () => {
  ({ node, admin } = await startAdminApiNode());
});

afterAll(() => node?.stop());

const UNKNOWN = '/api/admin/webhooks/wh_000000000000000000000000';

interface WebhookView {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  secret?: string;
}

async function create(json: unknown) {
  return api(node, 'POST', '/api/admin/webhooks', { token: admin, json });
}

describe('/api/admin/webhooks', () => {
  it('registers, lists, reads, changes, rotates and deletes an endpoint; the secret is shown once', async () => {
    const created = await create({
      url: 'https://hooks.example.com/gatehouse',
      events: ['user.created', 'session.ended'],
      description: 'CRM',
    });
    expect(created.status).toBe(201);
    const body = created.body as WebhookView & { secret: string };
    expect(created.headers.get('location')).toBe(`/api/admin/webhooks/${body.id}`);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const view = {
      id: expect.stringMatching(/^wh_[0-9a-f]{24}$/),
      url: 'https://hooks.example.com/gatehouse',
      events: ['user.created', 'session.ended'],
      description: 'CRM',
      enabled: true,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      deliveries: { pending: 0, delivered: 0, dead: 0, oldest_pending_at: null },
    };
    expect(body).toEqual({ ...view, secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/) });
    const path = `/api/admin/webhooks/${body.id}`;

    const listed = await api(node, 'GET', '/api/admin/webhooks', { token: admin });
    expect(listed.body).toEqual({ webhooks: [view] });
    const read = await api(node, 'GET', path, { token: admin });
    expect(read.body).toEqual(view);
    for (const answer of [listed, read])
      expect(JSON.stringify(answer.body)).not.toContain(body.secret.slice(6));

    const patched = await api(node, 'PATCH', path, {
      token: admin,
      json: { events: ['*'], enabled: false, description: null },
    });
    expect(patched).toMatchObject({
      status: 200,
      body: { ...view, events: ['*'], enabled: false, description: null },
    });

    const rotated = await api(node, 'POST', `${path}/secret`, { token: admin });
    expect(rotated).toMatchObject({
      status: 200,
      body: { id: body.id, secret: expect.stringMatching(/^whsec_/) },
    });
    expect((rotated.body as { secret: string }).secret).not.toBe(body.secret);

    const deliveries = await api(node, 'GET', `${path}/deliveries?status=dead&limit=10`, { token: admin });
    expect(deliveries).toMatchObject({ status: 200, body: { deliveries: [] } });
    const replayed = await api(node, 'POST', `${path}/replay`, { token: admin, json: { status: 'dead' } });
    expect(replayed).toMatchObject({ status: 200, body: { replayed: 0 } });

    expect((await api(node, 'DELETE', path, { token: admin })).status).toBe(204);
    expect((await api(node, 'GET', path, { token: admin })).status).toBe(404);

    const trail = await node.services
      .db('audit_events')
      .where({ target_type: 'webhook', target_id: body.id })
      .orderBy('id')
      .select('type', 'actor_type', 'data');
    expect(trail.map((e: { type: string }) => e.type)).toEqual([
      'webhook.created',
      'webhook.updated',
      'webhook.updated',
      'webhook.deleted',
    ]);
    expect(trail[1].data).toEqual({ fields: ['events', 'description', 'enabled'] });
    expect(trail.every((e: { actor_type: string }) => e.actor_type === 'account')).toBe(true);
    expect(JSON.stringify(trail)).not.toContain(body.secret.slice(6));
  });

  it.each([
    [{ url: 'ftp://hooks.example.com/', events: ['user.created'] }, 'url', 'must be an absolute http(s) URL'],
    [
      { url: 'https://hooks.example.com/', events: ['user.exploded'] },
      'events',
      'unknown event type: user.exploded',
    ],
    [{ url: 'https://hooks.example.com/', events: [] }, 'events', 'must list 1 or more event types, or *'],
    [{ url: 'https://hooks.example.com/' }, 'events', expect.any(String)],
    [{ events: ['*'] }, 'url', expect.any(String)],
    [{ url: 'https://hooks.example.com/', events: ['*'], secret: 'whsec_mine' }, 'secret', 'unknown field'],
    [{ url: 'https://hooks.example.com/', events: 'user.created' }, 'events', expect.any(String)],
  ])('refuses %j with 400 naming %s', async (json, field, problem) => {
    const refused = await create(json);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'invalid_request', details: { [field]: problem } });
  });

  it('refuses bad changes and bad replays with 400 naming the field', async () => {
    const { id } = (await create({ url: 'https://hooks.example.com/', events: ['*'] })).body as WebhookView;
    const path = `/api/admin/webhooks/${id}`;
    const cases: [string, string, unknown, string][] = [
      ['PATCH', path, { url: 'https://a:b@hooks.example.com/' }, 'url'],
      ['PATCH', path, { events: ['nope'] }, 'events'],
      ['PATCH', path, { enabled: 'maybe' }, 'enabled'],
      ['POST', `${path}/replay`, {}, 'body'],
      ['POST', `${path}/replay`, { status: 'dead', message_ids: ['evt_1'] }, 'body'],
      ['POST', `${path}/replay`, { status: 'delivered' }, 'status'],
      ['POST', `${path}/replay`, { message_ids: ['evt_1'], since: '2026-01-01T00:00:00Z' }, 'since'],
      ['POST', `${path}/replay`, { status: 'dead', since: 'yesterday' }, 'since'],
    ];
    for (const [method, at, json, field] of cases) {
      const refused = await api(node, method, at, { token: admin, json });
      expect({ json, status: refused.status }).toEqual({ json, status: 400 });
      expect(refused.body).toMatchObject({
        error: 'invalid_request',
        details: { [field]: expect.any(String) },
      });
    }
    const badQuery = await api(node, 'GET', `${path}/deliveries?status=lost`, { token: admin });
    expect(badQuery).toMatchObject({ status: 400, body: { details: { status: expect.any(String) } } });
    await api(node, 'DELETE', path, { token: admin });
  });

  it('answers 404 for an unknown id, on every route of one endpoint', async () => {
    const cases: [string, string, unknown?][] = [
      ['GET', UNKNOWN],
      ['PATCH', UNKNOWN, { enabled: false }],
      ['DELETE', UNKNOWN],
      ['POST', `${UNKNOWN}/secret`],
      ['GET', `${UNKNOWN}/deliveries`],
      ['POST', `${UNKNOWN}/replay`, { status: 'dead' }],
      ['GET', '/api/admin/webhooks/not-an-id'],
    ];
    for (const [method, path, json] of cases) {
      const answer = await api(node, method, path, { token: admin, ...(json ? { json } : {}) });
      expect({ method, path, status: answer.status, body: answer.body }).toEqual({
        method,
        path,
        status: 404,
        body: { error: 'not_found', error_description: 'no such webhook' },
      });
    }
  });

  it('is for administrators only', async () => {
    const anonymous = await api(node, 'GET', '/api/admin/webhooks');
    expect(anonymous.status).toBe(401);
  });
});
