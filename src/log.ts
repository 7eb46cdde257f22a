/**
 * Structured logging (pino: JSON lines, cheap on the hot path). Anything that could carry a secret is
 * redacted by path, so a careless log line cannot print a password, a secret or a token.
 */
import type { Knex } from 'knex';
import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * `code` and `*.code` are an authorization code or a one-time code wherever a request's fields are
 * logged. Redaction runs on what the serializers return, so an error's own `code` (ECONNREFUSED, a
 * SQLSTATE) is not a `code` field there: serializeError writes it as `errorCode` or `sqlState`.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'client_secret',
  '*.client_secret',
  'secret',
  '*.secret',
  'otp',
  '*.otp',
  'code',
  '*.code',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-service-key"]',
  'password_hash',
  '*.password_hash',
];

interface DatabaseErrorLike extends Error {
  code: string;
  severity: string;
  routine?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

function isDatabaseError(err: Error): err is DatabaseErrorLike {
  const e = err as Partial<DatabaseErrorLike>;
  return typeof e.severity === 'string' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code);
}

/**
 * Errors as log fields, without what they may carry of a request or a stored row. A database error's
 * message and `detail` quote values ("Failing row contains (...)", `invalid input syntax for type
 * uuid: "<what the client sent>"`), so only its SQLSTATE and the names of what failed are kept, and
 * the stack without its first line (which repeats the message).
 */
export function serializeError(err: unknown, depth = 0): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err, message: 'non-error thrown' };
  // What a wrapper hides: the driver's error behind a protocol error, one error per address tried.
  const { cause, errors } = err as { cause?: unknown; errors?: unknown };
  const nested = {
    ...(cause instanceof Error && depth < 3 ? { cause: serializeError(cause, depth + 1) } : {}),
    ...(Array.isArray(errors) && depth < 3
      ? { errors: errors.slice(0, 4).map((inner) => serializeError(inner, depth + 1)) }
      : {}),
  };
  const frames = (err.stack ?? '').split('\n').slice(1).join('\n');
  if (isDatabaseError(err)) {
    return {
      type: 'DatabaseError',
      message: `database error ${err.code}${err.routine ? ` in ${err.routine}` : ''}`,
      sqlState: err.code,
      ...(err.table ? { table: err.table } : {}),
      ...(err.column ? { column: err.column } : {}),
      ...(err.constraint ? { constraint: err.constraint } : {}),
      stack: frames,
      ...nested,
    };
  }
  const { code, status } = err as { code?: unknown; status?: unknown };
  return {
    type: err.name,
    message: err.message,
    ...(typeof code === 'string' ? { errorCode: code } : {}),
    ...(typeof status === 'number' ? { status } : {}),
    stack: frames,
    ...nested,
  };
}

/** `destination`: stdout unless told (the CLI writes its audit lines to stderr). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'gatehouse' },
    serializers: { err: serializeError },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * knex's `log` option: its warnings go through this logger as JSON instead of console.log. The
 * pool's per-request messages during an outage ("Acquire connection error", "Connection Error") are
 * debug lines: the outage itself is logged once per transition (db/unavailable.ts).
 */
export function knexLog(logger: Logger): NonNullable<Knex.Config['log']> {
  const text = (message: unknown) => (typeof message === 'string' ? message : JSON.stringify(message));
  const perRequest = /^(Acquire connection error|Connection Error): /;
  return {
    warn(message: unknown) {
      const msg = text(message);
      if (perRequest.test(msg)) logger.debug({ component: 'knex' }, msg);
      else logger.warn({ component: 'knex' }, msg);
    },
    error: (message: unknown) => logger.error({ component: 'knex' }, text(message)),
    deprecate: (message: unknown) => logger.warn({ component: 'knex' }, text(message)),
    debug: (message: unknown) => logger.debug({ component: 'knex' }, text(message)),
  };
}
