/**
 * "The database cannot be reached", told apart from every other database error in one place. Such
 * an error says nothing about the request: it becomes a 503 with Retry-After on every route (RFC 9110
 * §15.6.4, §10.2.3) and `temporarily_unavailable` in OAuth terms (RFC 6749 §4.1.2.1), while an
 * ordinary query error (23505 unique violation, 22P02 invalid text, ...) stays what it is.
 *
 * The node does not decide when the database is back: the pool opens a new connection for the next
 * query, so a request that reaches a database that answers again simply succeeds. What this module
 * adds is one log line per transition (unreachable, reachable again) instead of one per request.
 */
import type { Database } from './database';
import type { Logger } from '../log';

/** What a client is told to wait: a PostgreSQL restart takes a few seconds. */
export const RETRY_AFTER_SECONDS = 5;

/** The description every route gives with its 503, in its own error shape. */
export const UNAVAILABLE_DESCRIPTION = 'the service is temporarily unavailable; retry later';

/** Socket errors of the connection to the server (Node's `err.code`). */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs (PostgreSQL, Appendix A) that say the server is not serving, not that the query is wrong:
 * 57P01 admin_shutdown (fast shutdown ends every session), 57P02 crash_shutdown (another backend
 * crashed), 57P03 cannot_connect_now (starting up, shutting down, in recovery), 53300
 * too_many_connections. Class 08 (connection exceptions) is matched as a class below.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * node-postgres's own errors carry no code: a connection the server closed ("Connection terminated
 * unexpectedly", "... due to connection timeout"), a client whose connection already failed. knex
 * prefixes a failed query's message with its SQL and " - ", so the driver's text is the end of it.
 */
const DRIVER_MESSAGES = [
  /(?:^| - )Connection terminated(?: unexpectedly| due to connection timeout)?$/,
  /(?:^| - )Client has encountered a connection error and is not queryable$/,
  /(?:^| - )timeout exceeded when trying to connect$/,
];

/** knex's pool gave up waiting for a connection (acquireConnectionTimeout in database.ts). */
const ACQUIRE_TIMEOUT = /^Knex: Timeout acquiring a connection\b/;

interface ErrorFields {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
}

function reasonOf(err: ErrorFields): string | null {
  const { code, name, message } = err;
  // An error with a code is decided by its code alone: a query error's message may quote the values
  // a client sent, which must not be able to pass for an outage.
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code)) return code;
    if (/^08[0-9A-Z]{3}$/.test(code)) return code;
    return null;
  }
  if (typeof message === 'string') {
    if (name === 'KnexTimeoutError' && ACQUIRE_TIMEOUT.test(message)) return 'acquire_timeout';
    if (DRIVER_MESSAGES.some((pattern) => pattern.test(message))) return 'connection_terminated';
  }
  return null;
}

/**
 * Why `err` means the database cannot be reached (a socket code, a SQLSTATE, `acquire_timeout`,
 * `connection_terminated`), or null for any other error. Follows `cause` (errors that wrap the
 * driver's, as the provider's 503 does) and AggregateError's `errors` (a connect to a name with
 * several addresses fails with one error per address), a few levels deep.
 */
export function unavailabilityReason(err: unknown): string | null {
  const queue: Array<{ value: unknown; depth: number }> = [{ value: err, depth: 0 }];
  const seen = new Set<unknown>();
  while (queue.length > 0) {
    const { value, depth } = queue.shift()!;
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    const fields = value as ErrorFields;
    const reason = reasonOf(fields);
    if (reason) return reason;
    if (depth >= 4) continue;
    if (fields.cause !== undefined) queue.push({ value: fields.cause, depth: depth + 1 });
    if (Array.isArray(fields.errors))
      for (const inner of fields.errors.slice(0, 4)) queue.push({ value: inner, depth: depth + 1 });
  }
  return null;
}

export function isDatabaseUnavailable(err: unknown): boolean {
  return unavailabilityReason(err) !== null;
}

/** The reachability of one database as the node last saw it. */
export interface Reachability {
  readonly reachable: boolean;
}

/**
 * Watches one knex instance and logs each transition once: `database unreachable` (with the error
 * and its reason) on the first failure that means the server cannot be reached, `database reachable
 * again` (with how long it was down) on the first query that succeeds after it.
 *
 * Failures are seen in two places: a query that fails ('query-error' on the knex instance) and a
 * connection the pool cannot open (tarn's 'createFail' on `db.client.pool`: with pool min 0 and
 * knex's propagateCreateError, that is how ECONNREFUSED reaches a request, before any query runs).
 */
export function watchReachability(db: Database, logger: Logger): Reachability {
  let reachable = true;
  let since = 0;
  function failed(err: unknown): void {
    const reason = unavailabilityReason(err);
    if (!reason || !reachable) return;
    reachable = false;
    since = Date.now();
    logger.error({ err, reason, database: 'unreachable' }, 'database unreachable');
  }
  function succeeded(): void {
    if (reachable) return;
    reachable = true;
    logger.info({ database: 'reachable', downForMs: Date.now() - since }, 'database reachable again');
  }
  db.on('query-error', failed);
  db.on('query-response', succeeded);
  const pool = (db.client as { pool?: { on(event: string, fn: (...args: unknown[]) => void): void } }).pool;
  pool?.on('createFail', (_eventId: unknown, err: unknown) => failed(err));
  return {
    get reachable() {
      return reachable;
    },
  };
}
