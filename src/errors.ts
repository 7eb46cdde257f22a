/**
 * Gatehouse's own errors: one base class with an HTTP status, a stable `code` and an `expose` flag
 * deciding whether the message may reach a client. Protocol errors on the OAuth endpoints are
 * oidc-provider's own classes, not these. How any error is answered (JSON or the error page) is
 * decided in one place, src/http/errors.ts.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  // RFC 7591 §3.2.2: the admin API's refusals of client metadata.
  | 'invalid_client_metadata'
  | 'invalid_redirect_uri'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'insufficient_user_authentication'
  | 'access_denied'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'too_many_requests'
  | 'server_error'
  | 'temporarily_unavailable';

export interface FieldErrors {
  [field: string]: string;
}

export class GatehouseError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly expose: boolean;
  readonly details: FieldErrors | undefined;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    status: number,
    message: string,
    options: { details?: FieldErrors; headers?: Record<string, string>; expose?: boolean } = {},
  ) {
    super(message);
    this.name = 'GatehouseError';
    this.code = code;
    this.status = status;
    this.expose = options.expose ?? status < 500;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

export const badRequest = (message: string, details?: FieldErrors) =>
  new GatehouseError('invalid_request', 400, message, details ? { details } : {});

export const notFound = (message = 'not found') => new GatehouseError('not_found', 404, message);

export const conflict = (message: string) => new GatehouseError('conflict', 409, message);
