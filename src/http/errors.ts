/**
 * The one error handler. Any error, wherever it is thrown, is described once (`describeError`: status,
 * code, description, headers) and answered in one of two wire formats, chosen as oidc-provider's own
 * handler chooses (lib/shared/error_handler.js, `ctx.accepts('json', 'html')`): `{ error,
 * error_description }` (plus `details` for validation) for API clients, the error page for browsers.
 * Anything not meant to be shown becomes a generic `server_error` and is logged; a database that
 * cannot be reached is no bug: 503 `temporarily_unavailable` with Retry-After (RFC 9110 §15.6.4,
 * §10.2.3; logged once per outage by db/unavailable.ts, not here).
 *
 * The provider's own OAuth error responses stay the provider's: it describes its errors itself and
 * calls the same page renderer (its `renderError`) for browsers.
 */
import type { Context, Next } from 'koa';
import { RETRY_AFTER_SECONDS, UNAVAILABLE_DESCRIPTION, isDatabaseUnavailable } from '../db/unavailable';
import { GatehouseError, type FieldErrors } from '../errors';
import type { Logger } from '../log';

/** What a client is told about anything it was not meant to see. */
export const GENERIC_DESCRIPTION = 'an unexpected error occurred';

/** The error as a client sees it, the same in the JSON body and on the page. */
export interface ErrorAnswer {
  status: number;
  /** The error code: RFC 6749 §5.2 / RFC 6750 §3.1 codes and Gatehouse's own (src/errors.ts). */
  error: string;
  error_description?: string;
  details?: FieldErrors;
  headers: Record<string, string>;
  /** Nothing a client did explains it: a bug, worth a log line. */
  unexpected: boolean;
}

/** The body oidc-provider hands to `renderError` (its ErrorOut), which the page shows. */
export interface ErrorOut {
  error: string;
  error_description?: string;
}

/**
 * Renders the error page for `out` into `ctx` (type, body); the status is already set. The same
 * signature as oidc-provider's `renderError`, so the provider and the host render one page.
 */
export type RenderErrorPage = (ctx: Context, out: ErrorOut, err: unknown) => Promise<void>;

/** `json`: always JSON (the API); `page`: always the page (the login pages); `negotiate`: by Accept. */
export type ErrorFormat = 'json' | 'page' | 'negotiate';

export interface AnswerOptions {
  format: ErrorFormat;
  /** Without one, every answer is JSON. */
  renderPage?: RenderErrorPage | undefined;
}

const fromGatehouse = (err: GatehouseError): ErrorAnswer => ({
  status: err.status,
  error: err.code,
  error_description: err.expose ? err.message : GENERIC_DESCRIPTION,
  ...(err.details ? { details: err.details } : {}),
  headers: err.headers,
  unexpected: false,
});

/** RFC 9110 §15.6.4: 503 with Retry-After (§10.2.3) while the database cannot be reached. */
const UNAVAILABLE: ErrorAnswer = {
  status: 503,
  error: 'temporarily_unavailable',
  error_description: UNAVAILABLE_DESCRIPTION,
  headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
  unexpected: false,
};

/** An error of oidc-provider's own classes that is meant for the client (`expose`, an RFC code). */
function fromProtocolError(err: unknown): ErrorAnswer | null {
  const e = err as { expose?: unknown; error?: unknown; error_description?: unknown; statusCode?: unknown };
  if (e?.expose !== true || typeof e.error !== 'string' || typeof e.statusCode !== 'number') return null;
  return {
    status: e.statusCode,
    error: e.error,
    ...(typeof e.error_description === 'string' ? { error_description: e.error_description } : {}),
    headers: {},
    unexpected: false,
  };
}

/** Errors thrown by body parsers and koa itself carry a 4xx status and are safe to map. */
function fromHttpError(err: unknown): ErrorAnswer | null {
  const e = (err ?? {}) as { status?: number; statusCode?: number; message?: string; type?: string };
  const status = e.status ?? e.statusCode;
  if (!status || status < 400 || status >= 500) return null;
  if (status === 413)
    return fromGatehouse(new GatehouseError('payload_too_large', 413, 'the request body is too large'));
  if (status === 415)
    return fromGatehouse(new GatehouseError('unsupported_media_type', 415, 'unsupported content type'));
  if (e.type === 'entity.parse.failed' || /JSON|parse/i.test(e.message ?? ''))
    return fromGatehouse(new GatehouseError('invalid_request', 400, 'the request body could not be parsed'));
  return fromGatehouse(
    new GatehouseError('invalid_request', status, status === 404 ? 'not found' : 'bad request'),
  );
}

/** The one mapping of an error to what the client is told. */
export function describeError(err: unknown): ErrorAnswer {
  if (err instanceof GatehouseError) return fromGatehouse(err);
  if (isDatabaseUnavailable(err)) return { ...UNAVAILABLE, headers: { ...UNAVAILABLE.headers } };
  return (
    fromProtocolError(err) ??
    fromHttpError(err) ?? {
      status: 500,
      error: 'server_error',
      error_description: GENERIC_DESCRIPTION,
      headers: {},
      unexpected: true,
    }
  );
}

/** The one JSON wire format: `{ error, error_description }`, with `details` per field for validation. */
export function errorBody(answer: ErrorAnswer): ErrorOut & { details?: FieldErrors } {
  return {
    error: answer.error,
    ...(answer.error_description !== undefined ? { error_description: answer.error_description } : {}),
    ...(answer.details ? { details: answer.details } : {}),
  };
}

/** Answers `err` on `ctx`: status, headers, no-store, and the JSON body or the page. */
export async function answerError(
  ctx: Context,
  err: unknown,
  options: AnswerOptions,
  answer: ErrorAnswer = describeError(err),
): Promise<void> {
  ctx.status = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) ctx.set(name, value);
  ctx.set('Cache-Control', 'no-store');
  const { renderPage, format } = options;
  const page =
    renderPage !== undefined &&
    (format === 'page' || (format === 'negotiate' && ctx.accepts('json', 'html') === 'html'));
  if (page) await renderPage(ctx, errorBody(answer), err);
  else ctx.body = errorBody(answer);
}

export interface ErrorHandlerOptions extends Partial<AnswerOptions> {
  /** The log line of an unexpected error. */
  message?: string;
}

/**
 * The error middleware: the host's (JSON for its own routes: /api, health) and the login pages'
 * (`format: 'page'`). Unexpected errors are logged here, once.
 */
export function errorHandler(logger: Logger, options: ErrorHandlerOptions = {}) {
  const { message = 'unhandled error', format = 'json', renderPage } = options;
  return async function handleErrors(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (err) {
      const answer = describeError(err);
      if (answer.unexpected) logger.error({ err, method: ctx.method, path: ctx.path }, message);
      await answerError(ctx, err, { format, renderPage }, answer);
    }
  };
}
