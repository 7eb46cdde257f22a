/**
 * Structured logging (pino: JSON lines, cheap on the hot path). Anything that could carry a secret is
 * redacted by path, so a careless log line cannot print a password, a secret or a token.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

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
export function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err, message: 'non-error thrown' };
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
    };
  }
  const { code, status } = err as { code?: unknown; status?: unknown };
  return {
    type: err.name,
    message: err.message,
    ...(typeof code === 'string' ? { errorCode: code } : {}),
    ...(typeof status === 'number' ? { status } : {}),
    stack: frames,
  };
}

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'gatehouse' },
    serializers: { err: serializeError },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  });
}
