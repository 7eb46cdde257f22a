/**
 * The host's one error middleware: Gatehouse errors answer `{ error, error_description }` (plus
 * `details` for validation), a database that cannot be reached answers 503 temporarily_unavailable
 * with Retry-After (logged once per outage by db/unavailable.ts, not here), anything else unexpected
 * becomes a generic `server_error` and is logged.
 */
import type { Context, Next } from 'koa';
import { RETRY_AFTER_SECONDS, UNAVAILABLE_DESCRIPTION, isDatabaseUnavailable } from '../db/unavailable';
import { GatehouseError, errorBody } from '../errors';
import type { Logger } from '../log';

/** Errors thrown by body parsers and koa itself carry an HTTP status and are safe to map. */
function fromHttpError(err: {
  status?: number;
  statusCode?: number;
  message?: string;
  type?: string;
}): GatehouseError | null {
  const status = err.status ?? err.statusCode;
  if (!status || status < 400 || status >= 500) return null;
  if (status === 413) return new GatehouseError('payload_too_large', 413, 'the request body is too large');
  if (status === 415) return new GatehouseError('unsupported_media_type', 415, 'unsupported content type');
  if (err.type === 'entity.parse.failed' || /JSON|parse/i.test(err.message ?? ''))
    return new GatehouseError('invalid_request', 400, 'the request body could not be parsed');
  return new GatehouseError('invalid_request', status, status === 404 ? 'not found' : 'bad request');
}

/** RFC 9110 §15.6.4: 503 with Retry-After (§10.2.3) while the database cannot be reached. */
export function temporarilyUnavailable(): GatehouseError {
  return new GatehouseError('temporarily_unavailable', 503, UNAVAILABLE_DESCRIPTION, {
    headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
    // A 5xx is hidden by default; this one tells the client what to do.
    expose: true,
  });
}

export function errorHandler(logger: Logger) {
  return async function handleErrors(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (raw) {
      let err =
        raw instanceof GatehouseError
          ? raw
          : isDatabaseUnavailable(raw)
            ? temporarilyUnavailable()
            : fromHttpError(raw as never);
      if (!err) {
        logger.error({ err: raw, method: ctx.method, path: ctx.path }, 'unhandled error');
        err = new GatehouseError('server_error', 500, 'an unexpected error occurred', { expose: false });
      }
      ctx.status = err.status;
      for (const [name, value] of Object.entries(err.headers)) ctx.set(name, value);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = errorBody(err);
    }
  };
}
