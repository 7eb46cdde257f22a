/**
 * GET /metrics on the main port behind METRICS_TOKEN: scraped and parsed, and the counters moved by
 * the actions they count (tokens by grant and client, sign-ins by result, rate-limit refusals, OTP
 * requests and deliveries), the latency histogram labelled by route template (never a raw path), the
 * audit-event mapping, and the sampled gauges (oidc_payloads rows by model, key ages).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runWithContext, SYSTEM_ACTOR } from '../../src/audit/context';
import { recordAudit } from '../../src/audit/record';
import { sampleMetrics } from '../../src/jobs/metrics-sampler';
import { ALICE, DEMO_CLI, DEMO_SERVICE } from '../support/fixtures';
import { requestOtp, tokenRequest } from '../support/http';
import { startTestServer, type TestServer } from '../support/server';
import { clientCredentialsToken, passwordGrant } from '../support/tokens';
import { sleep } from '../support/wait';
import { scrape, type Scrape } from './scrape';

const TOKEN = 'metrics-test-token-0123456789';
let node: TestServer;

beforeAll(async () => {
  node = await startTestServer({
    env: { METRICS_TOKEN: TOKEN, OTP_DELIVERY: 'log', RATE_LIMIT_OTP_REQUEST: '2/600' },
  });
});

afterAll(async () => {
  await node?.stop();
});

const metrics = (): Promise<Scrape> => scrape(node.issuer, TOKEN);

/** Scrapes until `check` holds (for what is counted after the answer), or fails after 5 s. */
async function scrapeUntil(check: (m: Scrape) => boolean): Promise<Scrape> {
  const until = Date.now() + 5000;
  for (;;) {
    const m = await metrics();
    if (check(m)) return m;
    if (Date.now() > until) throw new Error('the metrics did not move in time');
    await sleep(50);
  }
}

describe('GET /metrics on the main port', () => {
  it('answers 401 with a bearer challenge without the token or with a wrong one', async () => {
    const none = await fetch(`${node.issuer}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect(await none.json()).toEqual({
      error: 'invalid_token',
      error_description: 'a valid metrics bearer token is required',
    });
    const wrong = await fetch(`${node.issuer}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}x` },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="metrics", error="invalid_token"');
    const basic = await fetch(`${node.issuer}/metrics`, { headers: { authorization: `Basic ${TOKEN}` } });
    expect(basic.status).toBe(401);
  });

  it('serves the process metrics and the pool gauges, all typed', async () => {
    const m = await metrics();
    expect(m.types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(m.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect(m.types.get('gatehouse_http_requests_total')).toBe('counter');
    expect(m.types.get('gatehouse_http_request_duration_seconds')).toBe('histogram');
    expect(m.find('gatehouse_db_pool_in_use')).toHaveLength(1);
    expect(m.find('gatehouse_db_pool_waiting')).toHaveLength(1);
    expect(m.value('gatehouse_db_pool_waiting')).toBeGreaterThanOrEqual(0);
    // Gatehouse's own numbers are all numbers.
    for (const s of m.samples)
      if (s.name.startsWith('gatehouse_')) expect([s.name, s.value]).toEqual([s.name, expect.any(Number)]);
  });
});

describe('the database pool', () => {
  it('counts a connection held by a transaction as in use, at scrape time', async () => {
    const trx = await node.services.db.transaction();
    try {
      await trx.raw('select 1');
      expect((await metrics()).value('gatehouse_db_pool_in_use')).toBeGreaterThanOrEqual(1);
    } finally {
      await trx.rollback();
    }
    expect((await metrics()).value('gatehouse_db_pool_waiting')).toBe(0);
  });
});

describe('counters', () => {
  it('counts a client credentials token by grant type and client', async () => {
    const labels = { grant_type: 'client_credentials', client_id: DEMO_SERVICE.id };
    const before = (await metrics()).value('gatehouse_tokens_issued_total', labels);
    await clientCredentialsToken(node.issuer);
    await clientCredentialsToken(node.issuer);
    expect((await metrics()).value('gatehouse_tokens_issued_total', labels)).toBe(before + 2);
  });

  it('counts a refused token request as no token', async () => {
    const before = (await metrics()).value('gatehouse_tokens_issued_total');
    const res = await tokenRequest(
      node.issuer,
      { grant_type: 'client_credentials' },
      {
        id: DEMO_SERVICE.id,
        secret: 'not-the-secret',
      },
    );
    expect(res.status).toBe(401);
    expect((await metrics()).value('gatehouse_tokens_issued_total')).toBe(before);
  });

  // End to end: the sign-in's audit events (accounts/sign-in-audit.ts) reach the node's metrics.
  it('counts sign-ins of the password grant by result: success, invalid_credentials', async () => {
    const before = await metrics();
    const wrong = await passwordGrant(node.issuer, { scope: 'openid', password: 'not-alices-password' });
    expect(wrong.status).toBe(400);
    const unknown = await passwordGrant(node.issuer, { scope: 'openid', username: `nobody-${randomUUID()}` });
    expect(unknown.status).toBe(400);
    const ok = await passwordGrant(node.issuer, { scope: 'openid' });
    expect(ok.status).toBe(200);
    const after = await metrics();
    const signIns = (m: Scrape, result: string) => m.value('gatehouse_sign_ins_total', { result });
    expect(signIns(after, 'invalid_credentials')).toBe(signIns(before, 'invalid_credentials') + 2);
    expect(signIns(after, 'success')).toBe(signIns(before, 'success') + 1);
    const password = { grant_type: 'password', client_id: DEMO_CLI.id };
    expect(after.value('gatehouse_tokens_issued_total', password)).toBe(
      before.value('gatehouse_tokens_issued_total', password) + 1,
    );
  });

  it('counts sign-ins, lockouts and reuse from the committed audit events, not rolled-back ones', async () => {
    const before = await metrics();
    const context = {
      requestId: null,
      ip: null,
      userAgent: null,
      actor: SYSTEM_ACTOR,
      metrics: node.metrics,
    };
    const { db } = node.services;
    await runWithContext(context, async () => {
      await recordAudit(db, { type: 'user.sign_in_failed', data: { reason: 'locked' } });
      await recordAudit(db, { type: 'user.sign_in_failed', data: { reason: 'second_factor' } });
      await recordAudit(db, { type: 'user.sign_in_failed', data: { reason: 'disabled' } });
      await recordAudit(db, { type: 'user.sign_in_failed', data: { reason: 'invalid_credentials' } });
      await recordAudit(db, { type: 'user.signed_in', data: { method: 'password' } });
      await recordAudit(db, { type: 'user.locked', data: {} });
      await recordAudit(db, { type: 'token.reuse_detected', data: {} });
      await recordAudit(db, { type: 'user.updated', data: { fields: ['email'] } });
      // A rolled-back change records nothing and counts nothing.
      await expect(
        db.transaction(async (trx) => {
          await recordAudit(trx, { type: 'user.locked', data: {} });
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
    });
    const after = await metrics();
    const moved = (name: string, labels?: Record<string, string>) =>
      after.value(name, labels) - before.value(name, labels);
    expect(moved('gatehouse_sign_ins_total', { result: 'locked' })).toBe(1);
    expect(moved('gatehouse_sign_ins_total', { result: 'second_factor' })).toBe(1);
    expect(moved('gatehouse_sign_ins_total', { result: 'disabled' })).toBe(1);
    expect(moved('gatehouse_sign_ins_total', { result: 'invalid_credentials' })).toBe(1);
    expect(moved('gatehouse_sign_ins_total', { result: 'success' })).toBe(1);
    expect(moved('gatehouse_sign_ins_total')).toBe(5);
    expect(moved('gatehouse_lockouts_total')).toBe(1);
    expect(moved('gatehouse_refresh_token_reuse_total')).toBe(1);
  });

  it('counts OTP requests and deliveries by result, and the rate-limit refusal by limit', async () => {
    const before = await metrics();
    expect((await requestOtp(node.issuer, ALICE.username)).status).toBe(202);
    expect((await requestOtp(node.issuer, `nobody-${randomUUID()}`)).status).toBe(202);
    // RATE_LIMIT_OTP_REQUEST=2/600: the third request from this address is refused.
    expect((await requestOtp(node.issuer, ALICE.username)).status).toBe(429);
    const delivered = { channel: 'log', result: 'delivered' };
    const after = await scrapeUntil(
      (m) =>
        m.value('gatehouse_otp_deliveries_total', delivered) >
        before.value('gatehouse_otp_deliveries_total', delivered),
    );
    const moved = (name: string, labels?: Record<string, string>) =>
      after.value(name, labels) - before.value(name, labels);
    expect(moved('gatehouse_otp_requests_total', { result: 'sent' })).toBe(1);
    expect(moved('gatehouse_otp_requests_total', { result: 'unknown_user' })).toBe(1);
    expect(moved('gatehouse_otp_requests_total')).toBe(2);
    expect(moved('gatehouse_otp_deliveries_total', delivered)).toBe(1);
    expect(moved('gatehouse_rate_limited_total', { limit: 'otpRequest' })).toBe(1);
    expect(moved('gatehouse_rate_limited_total')).toBe(1);
  });

  it('counts purge runs and webhook deliveries handed to the sink', async () => {
    const before = await metrics();
    node.metrics.purgeRun({ oidc_payloads: 3, audit_events: 0 });
    node.metrics.webhookDelivery('delivered');
    node.metrics.webhookDelivery('retried');
    const after = await metrics();
    const moved = (name: string, labels?: Record<string, string>) =>
      after.value(name, labels) - before.value(name, labels);
    expect(moved('gatehouse_purge_runs_total')).toBe(1);
    expect(moved('gatehouse_purged_rows_total', { table: 'oidc_payloads' })).toBe(3);
    expect(moved('gatehouse_purged_rows_total')).toBe(3);
    expect(moved('gatehouse_webhook_deliveries_total', { result: 'delivered' })).toBe(1);
    expect(moved('gatehouse_webhook_deliveries_total', { result: 'retried' })).toBe(1);
  });
});

describe('the request histogram', () => {
  it('labels by route template and status, never by the raw path', async () => {
    const uid = `uid${randomUUID().replace(/-/g, '')}`;
    expect((await fetch(`${node.issuer}/api/userinfo`)).status).toBe(401);
    await fetch(`${node.issuer}/interaction/${uid}`, { redirect: 'manual' });
    await fetch(`${node.issuer}/auth/${uid}`, { redirect: 'manual' });
    expect((await fetch(`${node.issuer}/nothing-here/${uid}`)).status).toBe(404);
    expect((await fetch(`${node.issuer}/jwks`)).status).toBe(200);
    await clientCredentialsToken(node.issuer);
    const m = await metrics();
    const count = 'gatehouse_http_request_duration_seconds_count';
    expect(m.value(count, { method: 'GET', route: '/api/userinfo', status: '401' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(m.value(count, { method: 'GET', route: '/interaction/:uid' })).toBeGreaterThanOrEqual(1);
    expect(m.value(count, { method: 'GET', route: '/auth/:uid' })).toBeGreaterThanOrEqual(1);
    expect(m.value(count, { method: 'GET', route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(m.value(count, { method: 'GET', route: '/jwks', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(m.value(count, { method: 'POST', route: '/token', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(m.value('gatehouse_http_requests_total', { method: 'POST', route: '/token', status: '200' })).toBe(
      m.value(count, { method: 'POST', route: '/token', status: '200' }),
    );
    // Cumulative buckets up to +Inf, which holds every observation.
    const inf = m.value('gatehouse_http_request_duration_seconds_bucket', {
      method: 'GET',
      route: '/jwks',
      status: '200',
      le: '+Inf',
    });
    expect(inf).toBe(m.value(count, { method: 'GET', route: '/jwks', status: '200' }));
    // No label anywhere carries the id a path did.
    for (const sample of m.samples)
      for (const value of Object.values(sample.labels)) expect(value).not.toContain(uid);
    const routes = new Set(m.find('gatehouse_http_requests_total').map((s) => s.labels.route));
    for (const route of routes) expect(route).toMatch(/^(unmatched|\/[\w./:-]*)$/);
  });
});

describe('sampled gauges', () => {
  it('samples at start, then oidc_payloads rows by model and the signing key ages', async () => {
    await scrapeUntil((m) => m.value('gatehouse_metrics_sampled_timestamp_seconds') > 0);
    await clientCredentialsToken(node.issuer);
    const { db } = node.services;
    // The gauge changes only when sampled, not per scrape.
    const stale = (await metrics()).value('gatehouse_oidc_payloads', { model: 'ClientCredentials' });
    await sampleMetrics({ db, metrics: node.metrics });
    const rows = Number(
      (
        (await db('oidc_payloads').where({ model: 'ClientCredentials' }).count({ n: '*' }).first()) as {
          n: string;
        }
      ).n,
    );
    expect(rows).toBeGreaterThan(0);
    const m = await metrics();
    expect(m.value('gatehouse_oidc_payloads', { model: 'ClientCredentials' })).toBe(rows);
    expect(rows).toBeGreaterThan(stale);
    const keys = m.find('gatehouse_signing_key_age_seconds', { status: 'active' });
    expect(keys.map((k) => k.labels.alg).sort()).toEqual(['ES256', 'RS256']);
    for (const key of keys) expect(key.value).toBeGreaterThanOrEqual(0);
  });
});

describe('docs/grafana-dashboard.json', () => {
  it('queries only metrics the node exports, through the ${DS_PROMETHEUS} datasource', async () => {
    const file = path.join(__dirname, '..', '..', 'docs', 'grafana-dashboard.json');
    const dashboard = JSON.parse(readFileSync(file, 'utf8')) as {
      __inputs: { name: string }[];
      panels: { type: string; datasource?: { uid: string }; targets?: { expr: string }[] }[];
    };
    expect(dashboard.__inputs.map((i) => i.name)).toEqual(['DS_PROMETHEUS']);
    const m = await metrics();
    const used = new Set<string>();
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource?.uid).toBe('${DS_PROMETHEUS}');
      for (const target of panel.targets ?? [])
        for (const name of target.expr.match(/\b(?:gatehouse|process|nodejs)_\w+/g) ?? []) used.add(name);
    }
    expect(used.size).toBeGreaterThan(15);
    for (const name of used) expect([name, m.types.has(name.replace(/_bucket$/, ''))]).toEqual([name, true]);
  });
});

describe('after a key rotation', () => {
  it('counts each token once on the rebuilt provider, into the same registry', async () => {
    const labels = { grant_type: 'client_credentials', client_id: DEMO_SERVICE.id };
    const before = (await metrics()).value('gatehouse_tokens_issued_total', labels);
    const old = node.provider;
    await node.services.keys.rotate(60);
    expect(await node.refreshKeys()).toBe(true);
    expect(node.provider).not.toBe(old);
    expect(node.provider.listenerCount('grant.success')).toBe(1);
    await clientCredentialsToken(node.issuer);
    expect((await metrics()).value('gatehouse_tokens_issued_total', labels)).toBe(before + 1);
    // The sampled key ages now show the retiring keys beside the new active ones.
    await sampleMetrics({ db: node.services.db, metrics: node.metrics });
    const keys = (await metrics()).find('gatehouse_signing_key_age_seconds');
    expect(keys.map((k) => k.labels.status).sort()).toEqual(['active', 'active', 'retiring', 'retiring']);
  });
});
