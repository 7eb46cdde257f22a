/**
 * Purging of expired state: tokens, sessions, interactions and codes (oidc_payloads), stale
 * sign-in throttling rows, the counts of rate-limit windows that have ended (rate_limits), and WebAuthn
 * challenges of ceremonies never finished (webauthn_challenges), audit events older than
 * AUDIT_RETENTION days (audit_events), and webhook deliveries settled long ago (webhook_outbox). Runs
 * in short batches, each its own transaction, and on one node at a time: a batch runs only while its
 * transaction holds the advisory lock (PostgreSQL §9.27.10). `gatehouse db purge` runs it once; every
 * node runs it every PURGE_INTERVAL seconds.
 */
import type { Knex } from 'knex';
import type { Database } from '../db/database';
import { deleteExpiredActionTokenBatch } from '../accounts/action-tokens';
import { deleteStaleOtpBatch } from '../accounts/otp';
import { deleteExpiredBatch } from '../oidc/payloads';
import { deleteOrphanedActivityBatch } from '../oidc/sessions';
import { deleteExpiredRateLimitBatch } from '../security/rate-limits';
import { deleteSettledWebhookBatch } from '../audit/webhook-outbox';
import type { Logger } from '../log';
import type { MetricsSink } from '../metrics/sink';
import { startJob, type Job } from './job';

const PURGE_LOCK = 72616402;

/** AUDIT_RETENTION's default: what a purge keeps unless told. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 90;

export interface PurgeOptions {
  batchSize?: number;
  /** AUDIT_RETENTION: audit events older than this many days are deleted (90 unless told). */
  auditRetentionDays?: number;
  /** At most this many batches per table (the periodic purge bounds its work per tick). */
  maxBatches?: number;
  onBatch?: (table: string, deleted: number) => void;
}

/** What a deleter may need besides its batch size: the retention of the tables kept for a time. */
export interface PurgeRetention {
  auditRetentionDays: number;
}

type BatchDeleter = (trx: Database, batchSize: number, retention: PurgeRetention) => Promise<number>;

/** Deletes one batch of `table`'s rows: at most `batchSize` of those `where` picks, by their `key`. */
function deleteBatch(
  trx: Database,
  table: string,
  key: string,
  where: (rows: Knex.QueryBuilder) => Knex.QueryBuilder,
  batchSize: number,
): Promise<number> {
  return trx(table)
    .whereIn(key, where(trx(table).select(key)).limit(batchSize))
    .delete();
}

async function deleteStaleThrottleBatch(trx: Database, batchSize: number): Promise<number> {
  // A throttle row matters only while its lock or its counting window lasts; a day is past both.
  const cutoff = new Date(Date.now() - 86400 * 1000);
  return deleteBatch(
    trx,
    'login_throttle',
    'username',
    (rows) =>
      rows
        .where('window_started_at', '<', cutoff)
        .andWhere((q) => q.whereNull('locked_until').orWhere('locked_until', '<', new Date())),
    batchSize,
  );
}

async function deleteExpiredChallengeBatch(trx: Database, batchSize: number): Promise<number> {
  // A WebAuthn ceremony that was begun and never finished leaves its challenge behind.
  return deleteBatch(
    trx,
    'webauthn_challenges',
    'id',
    (rows) => rows.where('expires_at', '<', new Date()),
    batchSize,
  );
}

async function deleteOldAuditBatch(trx: Database, batchSize: number, retention: PurgeRetention) {
  // By the (occurred_at, id) index: the oldest first, a batch at a time.
  const cutoff = new Date(Date.now() - retention.auditRetentionDays * 86_400_000);
  return deleteBatch(
    trx,
    'audit_events',
    'id',
    (rows) => rows.where('occurred_at', '<', cutoff).orderBy('occurred_at'),
    batchSize,
  );
}

/** The tables purged, each with its batch deleter; other domains add theirs here. */
export const PURGERS: Record<string, BatchDeleter> = {
  oidc_payloads: deleteExpiredBatch,
  login_throttle: deleteStaleThrottleBatch,
  otp_codes: deleteStaleOtpBatch,
  rate_limits: deleteExpiredRateLimitBatch,
  webauthn_challenges: deleteExpiredChallengeBatch,
  action_tokens: deleteExpiredActionTokenBatch,
  // After oidc_payloads: the activity of the sessions its batches just purged goes in the same run.
  session_activity: deleteOrphanedActivityBatch,
  audit_events: deleteOldAuditBatch,
  // Delivered and dead deliveries (audit/webhook-outbox.ts keeps them a while for replay); never pending.
  webhook_outbox: deleteSettledWebhookBatch,
};

/**
 * Deletes expired rows. Returns the total, or null when another node holds the purge lock.
 */
export async function purgeOnce(db: Database, options: PurgeOptions = {}): Promise<number | null> {
  const batchSize = options.batchSize ?? 1000;
  const maxBatches = options.maxBatches ?? Infinity;
  const retention = { auditRetentionDays: options.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS };
  let total = 0;
  for (const [table, deleter] of Object.entries(PURGERS)) {
    for (let batch = 0; batch < maxBatches; batch += 1) {
      const deleted = await db.transaction(async (trx) => {
        const { rows } = await trx.raw('select pg_try_advisory_xact_lock(?) as locked', [PURGE_LOCK]);
        return rows[0]?.locked ? deleter(trx, batchSize, retention) : null;
      });
      if (deleted === null) return null;
      total += deleted;
      options.onBatch?.(table, deleted);
      if (deleted < batchSize) break;
    }
  }
  return total;
}

export interface PurgeJobDeps {
  db: Database;
  logger: Logger;
  /** PURGE_INTERVAL seconds; 0 turns the job off. */
  intervalSeconds: number;
  /** AUDIT_RETENTION: days audit events are kept. */
  auditRetentionDays: number;
  /** Told the rows each run deleted, per table (a run skipped for another node's lock is not one). */
  metrics?: MetricsSink;
}

/** The node's periodic purge. Bounded batches per tick; whatever is left waits for the next tick. */
export function startPurgeJob(deps: PurgeJobDeps): Job {
  return startJob({
    intervalSeconds: deps.intervalSeconds,
    async run() {
      const perTable: Record<string, number> = {};
      const deleted = await purgeOnce(deps.db, {
        maxBatches: 20,
        auditRetentionDays: deps.auditRetentionDays,
        onBatch: (table, count) => (perTable[table] = (perTable[table] ?? 0) + count),
      });
      if (deleted === null) return;
      deps.metrics?.purgeRun(perTable);
      if (deleted) deps.logger.info({ deleted }, 'purged expired rows');
    },
    onError: (err) => deps.logger.warn({ err }, 'purge failed'),
  });
}
