/**
 * The metrics of one node: a prom-client Registry of its own (never the library's global one, so the
 * several nodes a test or a benchmark starts in one process keep apart) with Gatehouse's metrics,
 * all named `gatehouse_…` (Prometheus naming: counters end in `_total`, durations are in seconds;
 * https://prometheus.io/docs/practices/naming/), scraped together with the process's default ones.
 *
 * Every label is a bounded set chosen here or by configuration: a route template, a status, a grant
 * type, a client id, a limit's name, a result. Never a raw path, a token, a user name or an address.
 *
 * Counted as they happen (MetricsSink); gauges of the database are either read at scrape (the pool:
 * two numbers in memory) or set by the sampler job (rows and key ages: queries, so never per scrape).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuditEventType } from '../audit/types';
import type { DeliveryResult, MetricsSink, OtpRequestResult } from './sink';

/** The pool numbers the node's knex exposes (tarn.js); absent for a database without a pool. */
export interface PoolStats {
  numUsed(): number;
  numPendingAcquires(): number;
}

/** What the sampler (jobs/metrics-sampler.ts) measured. */
export interface Sample {
  /** oidc_payloads rows by model (the `model` column). */
  payloads: Readonly<Record<string, number>>;
  /** Signing keys still in the JWKS, with their age. */
  keys: readonly { kid: string; alg: string; status: string; ageSeconds: number }[];
}

// The reasons of user.sign_in_failed (audit/types.ts); any other value is counted as `other`.
const SIGN_IN_FAILURES = new Set([
  'invalid_credentials',
  'locked',
  'disabled',
  'second_factor',
  'otp_invalid',
]);

// From a millisecond to a minute: a token request with bcrypt takes tens of milliseconds.
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

let processMetrics: Registry | undefined;

/**
 * The process's default metrics (CPU, memory, event loop, GC: prom-client's collectDefaultMetrics),
 * in a registry of their own, made once per process: they describe the process, not a node, and each
 * collection installs a GC observer and an event-loop monitor that nothing ever removes, so one per
 * node would pile up in a process that starts many (the tests). Every node's scrape includes them.
 */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

export class NodeMetrics implements MetricsSink {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route' | 'status'>;
  private readonly tokens: Counter<'grant_type' | 'client_id'>;
  private readonly signIns: Counter<'result'>;
  private readonly lockouts: Counter;
  private readonly reuse: Counter;
  private readonly rateLimits: Counter<'limit'>;
  private readonly otpRequests: Counter<'result'>;
  private readonly otpDeliveries: Counter<'channel' | 'result'>;
  private readonly webhooks: Counter<'result'>;
  private readonly purgeRuns: Counter;
  private readonly purgedRows: Counter<'table'>;
  private readonly payloads: Gauge<'model'>;
  private readonly keyAges: Gauge<'kid' | 'alg' | 'status'>;
  private readonly sampledAt: Gauge;
  private pool: PoolStats | undefined;

  constructor() {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'gatehouse_http_requests_total',
      help: 'HTTP requests answered, by method, route template and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'gatehouse_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route template and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.tokens = new Counter({
      name: 'gatehouse_tokens_issued_total',
      help: 'Successful token endpoint responses, by grant type and client.',
      labelNames: ['grant_type', 'client_id'],
      registers,
    });
    this.signIns = new Counter({
      name: 'gatehouse_sign_ins_total',
      help: 'Sign-in attempts by result (invalid_credentials: wrong password and unknown user alike).',
      labelNames: ['result'],
      registers,
    });
    this.lockouts = new Counter({
      name: 'gatehouse_lockouts_total',
      help: 'User names locked after too many failed sign-ins.',
      registers,
    });
    this.reuse = new Counter({
      name: 'gatehouse_refresh_token_reuse_total',
      help: 'Rotated refresh tokens presented again (the grant was revoked).',
      registers,
    });
    this.rateLimits = new Counter({
      name: 'gatehouse_rate_limited_total',
      help: 'Requests refused by a rate limit, by the limit.',
      labelNames: ['limit'],
      registers,
    });
    this.otpRequests = new Counter({
      name: 'gatehouse_otp_requests_total',
      help: 'One-time code requests, by result.',
      labelNames: ['result'],
      registers,
    });
    this.otpDeliveries = new Counter({
      name: 'gatehouse_otp_deliveries_total',
      help: 'One-time codes and single-use links handed to the delivery, by channel and result.',
      labelNames: ['channel', 'result'],
      registers,
    });
    this.webhooks = new Counter({
      name: 'gatehouse_webhook_deliveries_total',
      help: 'Event webhook delivery attempts, by result.',
      labelNames: ['result'],
      registers,
    });
    this.purgeRuns = new Counter({
      name: 'gatehouse_purge_runs_total',
      help: 'Runs of the purge job.',
      registers,
    });
    this.purgedRows = new Counter({
      name: 'gatehouse_purged_rows_total',
      help: 'Rows the purge job deleted, by table.',
      labelNames: ['table'],
      registers,
    });
    this.payloads = new Gauge({
      name: 'gatehouse_oidc_payloads',
      help: 'Rows of oidc_payloads by model, expired ones included (sampled).',
      labelNames: ['model'],
      registers,
    });
    this.keyAges = new Gauge({
      name: 'gatehouse_signing_key_age_seconds',
      help: 'Age of each signing key still published (active or retiring), when last sampled.',
      labelNames: ['kid', 'alg', 'status'],
      registers,
    });
    this.sampledAt = new Gauge({
      name: 'gatehouse_metrics_sampled_timestamp_seconds',
      help: 'When the sampled gauges (payload rows, key ages) were last measured.',
      registers,
    });
    // Read at scrape: the pool keeps these numbers in memory, so reading them costs nothing.
    const poolOf = () => this.pool;
    new Gauge({
      name: 'gatehouse_db_pool_in_use',
      help: 'Database connections checked out of the pool.',
      registers,
      collect() {
        const pool = poolOf();
        if (pool) this.set(pool.numUsed());
      },
    });
    new Gauge({
      name: 'gatehouse_db_pool_waiting',
      help: 'Queries waiting for a database connection.',
      registers,
      collect() {
        const pool = poolOf();
        if (pool) this.set(pool.numPendingAcquires());
      },
    });
  }

  /**
   * The database's pool, read at every scrape. A knex without one that exposes these counts (an
   * embedded database may have none) leaves the gauges at 0.
   */
  watchPool(db: { client?: { pool?: unknown } }): void {
    const pool = db.client?.pool as Partial<PoolStats> | undefined;
    if (pool && typeof pool.numUsed === 'function' && typeof pool.numPendingAcquires === 'function')
      this.pool = pool as PoolStats;
  }

  /** One answered request: the middleware in app.ts (http/request-metrics.ts) times it. */
  httpRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status };
    this.requests.inc(labels);
    this.latency.observe(labels, seconds);
  }

  auditEvent(type: AuditEventType, data: Readonly<Record<string, unknown>>): void {
    switch (type) {
      case 'user.signed_in':
        this.signIns.inc({ result: 'success' });
        break;
      case 'user.sign_in_failed': {
        const reason =
          typeof data.reason === 'string' && SIGN_IN_FAILURES.has(data.reason) ? data.reason : 'other';
        this.signIns.inc({ result: reason });
        break;
      }
      case 'user.locked':
        this.lockouts.inc();
        break;
      case 'token.reuse_detected':
        this.reuse.inc();
        break;
      default:
        break;
    }
  }

  rateLimited(limit: string): void {
    this.rateLimits.inc({ limit });
  }

  tokenIssued(grantType: string, clientId: string): void {
    this.tokens.inc({ grant_type: grantType, client_id: clientId });
  }

  otpRequested(result: OtpRequestResult): void {
    this.otpRequests.inc({ result });
  }

  otpDelivered(channel: string, result: 'delivered' | 'failed'): void {
    this.otpDeliveries.inc({ channel, result });
  }

  webhookDelivery(result: DeliveryResult): void {
    this.webhooks.inc({ result });
  }

  purgeRun(deleted: Readonly<Record<string, number>>): void {
    this.purgeRuns.inc();
    for (const [table, rows] of Object.entries(deleted)) if (rows > 0) this.purgedRows.inc({ table }, rows);
  }

  /** Replaces the sampled gauges: a model or key gone since the last sample leaves them. */
  setSample(sample: Sample, at = new Date()): void {
    this.payloads.reset();
    for (const [model, rows] of Object.entries(sample.payloads)) this.payloads.set({ model }, rows);
    this.keyAges.reset();
    for (const key of sample.keys)
      this.keyAges.set({ kid: key.kid, alg: key.alg, status: key.status }, key.ageSeconds);
    this.sampledAt.set(at.getTime() / 1000);
  }

  /** The Prometheus text exposition: the process's metrics, then the node's. */
  async render(): Promise<{ contentType: string; body: string }> {
    const [process, node] = await Promise.all([processRegistry().metrics(), this.registry.metrics()]);
    return { contentType: this.registry.contentType, body: `${process}\n${node}` };
  }
}
