/**
 * GET /api/admin/audit over real HTTP: filters by type (exact and prefix), actor and time, cursor
 * pages that together hold every event once, bad parameters answered 400 with the parameter named,
 * the admin checks; and the tail's read (AuditLog.after).
 */
import { AuditLog } from '../../src/audit/query';
import { api, accessToken, startAdminApiNode, type ApiNode } from '../api/support';

let node: ApiNode;
let admin: string;

interface Event {
  id: string;
  type: string;
  occurred_at: string;
  actor: { type: string; id: string | null };
  target: { type: string; id: string | null } | null;
  data: Record<string, unknown>;
}
interface Page {
  events: Event[];
  next_cursor: string | null;
}

/** Rows written straight into the table, at chosen times, by chosen actors. */
async function seed(): Promise<void> {
  const rows = [];
  for (let i = 0; i < 25; i += 1)
    rows.push({
      type: i % 2 ? 'user.updated' : 'client.updated',
      occurred_at: new Date(Date.UTC(2020, 0, 1, 0, i)),
      actor_type: 'cli',
      actor_id: i < 5 ? 'seed-ops' : 'seed-other',
      target_type: i % 2 ? 'account' : 'client',
      target_id: `seed-${i}`,
      data: JSON.stringify({ fields: ['name'], n: i }),
    });
  await node.services.db('audit_events').insert(rows);
}

beforeAll(async () => {
  ({ node, admin } = await startAdminApiNode());
  await seed();
});

afterAll(() => node?.stop());

async function list(query: string): Promise<{ status: number; body: unknown }> {
  return api(node, 'GET', `/api/admin/audit${query}`, { token: admin });
}

it('pages newest first through every matching event once, without gaps or repeats', async () => {
  const seen: Event[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await list(`?actor=seed-other&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    const page = res.body as Page;
    seen.push(...page.events);
    cursor = page.next_cursor;
    pages += 1;
  } while (cursor);
  expect(pages).toBe(3);
  expect(seen.map((e) => e.target!.id)).toEqual(Array.from({ length: 20 }, (_, i) => `seed-${24 - i}`));
  expect(new Set(seen.map((e) => e.id)).size).toBe(20);
  expect(seen[0]).toEqual({
    id: seen[0]!.id,
    type: 'client.updated',
    occurred_at: '2020-01-01T00:24:00.000Z',
    actor: { type: 'cli', id: 'seed-other' },
    target: { type: 'client', id: 'seed-24' },
    ip: null,
    user_agent: null,
    request_id: null,
    data: { fields: ['name'], n: 24 },
  });
});

it('filters by exact type, type prefix, actor and time', async () => {
  const exact = (await list('?type=user.updated&actor=seed-ops')).body as Page;
  expect(exact.events.map((e) => e.target!.id)).toEqual(['seed-3', 'seed-1']);
  const prefix = (await list('?type=client.*&actor=seed-ops')).body as Page;
  expect(prefix.events.map((e) => e.target!.id)).toEqual(['seed-4', 'seed-2', 'seed-0']);
  const window = (
    await list(`?since=2020-01-01T00:10:00Z&until=${encodeURIComponent('2020-01-01T00:13:00+00:00')}`)
  ).body as Page;
  expect(window.events.map((e) => e.target!.id)).toEqual(['seed-12', 'seed-11', 'seed-10']);
  const none = (await list('?actor=nobody')).body as Page;
  expect(none).toEqual({ events: [], next_cursor: null });
  // The node's own events: the setup's clients, recorded by the system actor.
  const own = (await list('?type=client.created&limit=200')).body as Page;
  expect(own.events.length).toBeGreaterThan(0);
  expect(own.events.every((e) => e.type === 'client.created')).toBe(true);
});

it('answers a bad parameter with 400 invalid_request naming it', async () => {
  const cases: [string, string][] = [
    ['?type=user.nonsense', 'type'],
    ['?type=nothing.*', 'type'],
    ['?since=yesterday', 'since'],
    ['?until=2020-13-45T99:00:00Z', 'until'],
    ['?since=2021-01-01T00:00:00Z&until=2020-01-01T00:00:00Z', 'until'],
    ['?cursor=not-a-cursor!', 'cursor'],
    ['?cursor=MA', 'cursor'],
    ['?limit=0', 'limit'],
    ['?limit=201', 'limit'],
    ['?limit=ten', 'limit'],
    ['?type=user.created&type=user.deleted', 'type'],
    ['?colour=red', 'colour'],
  ];
  for (const [query, field] of cases) {
    const res = await list(query);
    expect({ query, status: res.status }).toEqual({ query, status: 400 });
    const body = res.body as { error: string; details: Record<string, string> };
    expect(body.error).toBe('invalid_request');
    expect(Object.keys(body.details)).toContain(field);
  }
});

it('is for administrators only', async () => {
  const res = await api(node, 'GET', '/api/admin/audit', { token: await accessToken(node, 'openid') });
  expect(res.status).toBe(403);
  expect((await api(node, 'GET', '/api/admin/audit')).status).toBe(401);
});

it('reads what came after an id, oldest first (the tail)', async () => {
  const log = new AuditLog(node.services.db);
  const [newest] = (await log.list({ limit: 1 })).events;
  expect(await log.after(newest!.id)).toEqual([]);
  const ops = (await log.list({ actor: 'seed-ops', limit: 5 })).events;
  const after = await log.after(ops[4]!.id, { type: { prefix: 'user.' }, limit: 3 });
  expect(after.map((e) => e.target!.id)).toEqual(['seed-1', 'seed-3', 'seed-5']);
});
