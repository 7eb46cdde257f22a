/**
 * Purging of expired state: tokens, sessions, interactions and codes (oidc_payloads), stale
 * sign-in throttling rows, the counts of rate-limit windows that have ended (rate_limits), and WebAuthn
 * challenges of ceremonies never finished (webauthn_challenges). Runs
 * in short batches, each its own transaction, and on one node at a time: a batch runs only while its
 * transaction holds the advisory lock (PostgreSQL §9.27.10). `gatehouse db purge` runs it once; every
 * node runs it every PURGE_INTERVAL seconds.
 */
import type { Database } from '../db/database';
import { deleteExpiredActionTokenBatch } from '../accounts/action-tokens';
import { deleteStaleOtpBatch } from '../accounts/otp';
import { deleteExpiredBatch } from '../oidc/payloads';
import { deleteOrphanedActivityBatch } from '../oidc/sessions';
import { deleteExpiredRateLimitBatch } from '../security/rate-limits';
import type { Logger } from '../log';
import { startJob, type Job } from './job';

const PURGE_LOCK = 72616402;

export interface PurgeOptions {
  batchSize?: number;
  /** At most this many batches per table (the periodic purge bounds its work per tick). */
  maxBatches?: number;
  onBatch?: (table: string, deleted: number) => void;
}

type BatchDeleter = (trx: Database, batchSize: number) => Promise<number>;

async function deleteStaleThrottleBatch(trx: Database, batchSize: number): Promise<number> {
  // A throttle row matters only while its lock or its counting window lasts; a day is past both.
  const cutoff = new Date(Date.now() - 86400 * 1000);
  return trx('login_throttle')
    .whereIn(
      'username',
      trx('login_throttle')
        .select('username')
        .where('window_started_at', '<', cutoff)
        .andWhere((q) => q.whereNull('locked_until').orWhere('locked_until', '<', new Date()))
        .limit(batchSize),
    )
    .delete();
}

async function deleteExpiredChallengeBatch(trx: Database, batchSize: number): Promise<number> {
  // A WebAuthn ceremony that was begun and never finished leaves its challenge behind.
  return trx('webauthn_challenges')
    .whereIn(
      'id',
      trx('webauthn_challenges').select('id').where('expires_at', '<', new Date()).limit(batchSize),
    )
    .delete();
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
};

/**
 * Deletes expired rows. Returns the total, or null when another node holds the purge lock.
 */
export async function purgeOnce(db: Database, options: PurgeOptions = {}): Promise<number | null> {
  const batchSize = options.batchSize ?? 1000;
  const maxBatches = options.maxBatches ?? Infinity;
  let total = 0;
  for (const [table, deleter] of Object.entries(PURGERS)) {
    for (let batch = 0; batch < maxBatches; batch += 1) {
      const deleted = await db.transaction(async (trx) => {
        const { rows } = await trx.raw('select pg_try_advisory_xact_lock(?) as locked', [PURGE_LOCK]);
        return rows[0]?.locked ? deleter(trx, batchSize) : null;
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
}

/** The node's periodic purge. Bounded batches per tick; whatever is left waits for the next tick. */
export function startPurgeJob(deps: PurgeJobDeps): Job {
  return startJob({
    intervalSeconds: deps.intervalSeconds,
    async run() {
      const deleted = await purgeOnce(deps.db, { maxBatches: 20 });
      if (deleted) deps.logger.info({ deleted }, 'purged expired rows');
    },
    onError: (err) => deps.logger.warn({ err }, 'purge failed'),
  });
}
