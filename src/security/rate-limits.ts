/**
 * Request limits per source address (and per requested name), counted in the Gatehouse database so
 * that every node shares one count: a count kept in each node's memory would let a client through
 * once per node behind the load balancer and would start afresh on every restart. The counting is
 * rate-limiter-flexible's RateLimiterPostgres (one fixed window per key, an atomic upsert per
 * request), on the `rate_limits` table of the migrations; the purge deletes expired rows, so no
 * limiter runs a timer of its own.
 *
 * Built once per node (createStores) and handed to the routes and grants as the narrow RateLimits
 * interface; nothing here loads oidc-provider (the CLI builds the stores too).
 */
import { createHash } from 'node:crypto';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config';
import type { Database } from '../db/database';
import { foldUsername } from '../accounts/username';
import { currentMetrics } from '../audit/context';

export const RATE_LIMITS_TABLE = 'rate_limits';

export type RateLimitKind = keyof Config['rateLimits'];

export type RateLimitVerdict = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface RateLimits {
  /** Counts one request for the key; refused when that count is over the limit of the current window. */
  consume(kind: RateLimitKind, key: string): Promise<RateLimitVerdict>;
  /**
   * Counts nothing; refused while the key has used up the limit of the current window. For limits on
   * failures, which are counted (with `consume`) only once the answer is known.
   */
  check(kind: RateLimitKind, key: string): Promise<RateLimitVerdict>;
  /** Gives back one request `consume` counted, for a request that turned out to use nothing. */
  refund(kind: RateLimitKind, key: string): Promise<void>;
}

/** One table for every limit: each has its own key prefix. */
const KEY_PREFIXES: Record<RateLimitKind, string> = {
  login: 'login',
  token: 'token',
  clientAuthFailures: 'client-auth-failures',
  otpRequest: 'otp-request',
  otpRequestName: 'otp-request-name',
  passwordReset: 'password-reset',
  passwordResetName: 'password-reset-name',
  registration: 'registration',
  deviceCode: 'device-code',
  clientRegistration: 'client-registration',
};

/**
 * The key of a per-name limit: a hash of the name as sign-in compares it (trimmed, lower-cased), so
 * the key is short and storable whatever the client sent, and names are counted whether or not an
 * account has them.
 */
export function nameKey(name: string): string {
  return createHash('sha256').update(foldUsername(name), 'utf8').digest('hex');
}

interface StoreQuery {
  name?: string;
  text: string;
  values?: unknown[];
}

/**
 * The `storeClient` the limiter queries. With `storeType: 'knex'` the library would call
 * `query({ name, text, values })` on knex's raw connection, which node-postgres understands and PGlite
 * does not; this runs the same statement through Gatehouse's knex instance instead (its `$n`
 * placeholders as knex named bindings), one code path for both databases. The library reads `rows`
 * and, to tell a select that found nothing, `rowCount`.
 */
export function knexStoreClient(db: Database) {
  return {
    async query(q: StoreQuery): Promise<{ rows: unknown[]; rowCount: number }> {
      const bindings: Record<string, unknown> = {};
      const sql = q.text.replace(/\$(\d+)/g, (_match, n: string) => {
        bindings[`p${n}`] = q.values?.[Number(n) - 1];
        return `:p${n}`;
      });
      const result = (await db.raw(sql, bindings as never)) as { rows: unknown[]; rowCount?: number | null };
      // knex-pglite reports PGlite's affectedRows as rowCount, which is 0 for a select.
      return { rows: result.rows, rowCount: Math.max(result.rowCount ?? 0, result.rows.length) };
    },
  };
}

const ALLOWED: RateLimitVerdict = { ok: true };

function refused(kind: RateLimitKind, msBeforeNext: number): RateLimitVerdict {
  // Counted by the limit's name (gatehouse_rate_limited_total), for the node serving the request.
  currentMetrics()?.rateLimited(kind);
  // Retry-After is whole seconds (RFC 9110 §10.2.3); never 0, which would invite an immediate retry.
  return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(msBeforeNext / 1000)) };
}

export function createRateLimits(db: Database, limits: Config['rateLimits']): RateLimits {
  const storeClient = knexStoreClient(db);
  const limiters = new Map<RateLimitKind, RateLimiterPostgres>();
  for (const kind of Object.keys(KEY_PREFIXES) as RateLimitKind[]) {
    const limit = limits[kind];
    if (!limit) continue;
    limiters.set(
      kind,
      new RateLimiterPostgres({
        storeClient,
        storeType: 'client',
        tableName: RATE_LIMITS_TABLE,
        tableCreated: true,
        clearExpiredByTimeout: false,
        keyPrefix: KEY_PREFIXES[kind],
        points: limit.points,
        duration: limit.durationSeconds,
      }),
    );
  }

  return {
    async consume(kind, key) {
      const limiter = limiters.get(kind);
      if (!limiter) return ALLOWED;
      try {
        await limiter.consume(key);
        return ALLOWED;
      } catch (err) {
        // The library rejects with a RateLimiterRes when over the limit, with an Error when the store failed.
        if (err instanceof RateLimiterRes) return refused(kind, err.msBeforeNext);
        throw err;
      }
    },
    async check(kind, key) {
      const limiter = limiters.get(kind);
      if (!limiter) return ALLOWED;
      const res = await limiter.get(key);
      return res && res.remainingPoints <= 0 ? refused(kind, res.msBeforeNext) : ALLOWED;
    },
    async refund(kind, key) {
      await limiters.get(kind)?.reward(key);
    },
  };
}

/** The purge's deleter for this table: rows whose window has ended. */
export async function deleteExpiredRateLimitBatch(trx: Database, batchSize: number): Promise<number> {
  return trx(RATE_LIMITS_TABLE)
    .whereIn('key', trx(RATE_LIMITS_TABLE).select('key').where('expire', '<', Date.now()).limit(batchSize))
    .delete();
}
