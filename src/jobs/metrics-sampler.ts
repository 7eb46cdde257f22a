/**
 * Samples the metrics that need a query: oidc_payloads rows by model (its `model` column) and the ages of the published
 * signing keys. Measured once at start and then every `intervalSeconds` (60 s by default), never per
 * scrape: a scraper polling every few seconds, on every node, would otherwise run a count over the
 * largest table each time. The gauges carry the values of the last sample, and
 * gatehouse_metrics_sampled_timestamp_seconds says when that was.
 */
import type { Database } from '../db/database';
import type { Logger } from '../log';
import type { NodeMetrics, Sample } from '../metrics/registry';
import { startJob, type Job } from './job';

export const METRICS_SAMPLE_SECONDS = 60;

export interface MetricsSamplerDeps {
  db: Database;
  metrics: NodeMetrics;
  logger: Logger;
  /** Seconds between samples; 0: only the one at start. */
  intervalSeconds?: number;
}

/** One sample: two grouped reads, the second over a handful of rows. */
export async function takeSample(db: Database, now = new Date()): Promise<Sample> {
  // Grouped on the leading column of the primary key (model, id): an index scan, not a sort.
  const rows = (await db('oidc_payloads').select('model').count({ rows: '*' }).groupBy('model')) as {
    model: string;
    rows: string | number;
  }[];
  const payloads: Record<string, number> = {};
  for (const row of rows) payloads[row.model] = Number(row.rows);
  const keys = (await db('signing_keys')
    .whereIn('status', ['active', 'retiring'])
    .select('kid', 'alg', 'status', 'created_at')) as {
    kid: string;
    alg: string;
    status: string;
    created_at: Date;
  }[];
  return {
    payloads,
    keys: keys.map((k) => ({
      kid: k.kid,
      alg: k.alg,
      status: k.status,
      ageSeconds: Math.max(0, (now.getTime() - new Date(k.created_at).getTime()) / 1000),
    })),
  };
}

export async function sampleMetrics(deps: Pick<MetricsSamplerDeps, 'db' | 'metrics'>): Promise<void> {
  deps.metrics.setSample(await takeSample(deps.db));
}

export function startMetricsSampler(deps: MetricsSamplerDeps): Job {
  const onError = (err: unknown) => deps.logger.warn({ err }, 'metrics sample failed');
  // The first sample at once, so a fresh node's gauges are not empty for a whole interval.
  const first = sampleMetrics(deps).catch(onError);
  const job = startJob({
    intervalSeconds: deps.intervalSeconds ?? METRICS_SAMPLE_SECONDS,
    run: () => sampleMetrics(deps),
    onError,
  });
  return {
    async stop() {
      const stopped = job.stop();
      await first;
      await stopped;
    },
  };
}
