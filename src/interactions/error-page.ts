/**
 * What an error page shows: the OAuth error code, a sentence for a person in the page's language,
 * and the exposed description. Never a stack trace; anything not meant to be shown (a bug) becomes
 * `server_error` with a generic sentence. A database that cannot be reached is no bug: it answers
 * 503 `temporarily_unavailable` with Retry-After (RFC 6749 §4.1.2.1, RFC 9110 §10.2.3).
 */
import { RETRY_AFTER_SECONDS, UNAVAILABLE_DESCRIPTION, isDatabaseUnavailable } from '../db/unavailable';
import { GatehouseError } from '../errors';
import type { Translate } from './i18n';

export interface ErrorLocals {
  code: string;
  message: string;
  description: string | null;
}

/** The shape oidc-provider hands to renderError (`out`) and puts on its errors. */
export interface OAuthErrorOut {
  error: string;
  error_description?: string;
}

/** Codes with a sentence of their own in the message files; others get a generic one. */
const EXPLAINED = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_redirect_uri',
  'unauthorized_client',
  'access_denied',
  'unsupported_response_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
  'login_required',
  'consent_required',
  'interaction_required',
  'invalid_target',
  'unsupported_media_type',
  'payload_too_large',
]);

function isSessionNotFound(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'SessionNotFound';
}

export function errorLocals(out: OAuthErrorOut, err: unknown, t: Translate): ErrorLocals {
  const message = isSessionNotFound(err)
    ? t('error.session_not_found')
    : EXPLAINED.has(out.error)
      ? t(`error.code.${out.error}`)
      : t('error.code.other');
  return { code: out.error, message, description: out.error_description ?? null };
}

export interface ErrorPage {
  status: number;
  headers: Record<string, string>;
  /** A bug worth a log line; an outage is logged once per transition elsewhere (db/unavailable.ts). */
  unexpected: boolean;
  locals(t: Translate): ErrorLocals;
}

/** Status and page content for an error thrown on Gatehouse's own interaction routes. */
export function errorPage(err: unknown): ErrorPage {
  if (isDatabaseUnavailable(err)) {
    const out = { error: 'temporarily_unavailable', error_description: UNAVAILABLE_DESCRIPTION };
    return {
      status: 503,
      headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      unexpected: false,
      locals: (t) => errorLocals(out, err, t),
    };
  }
  let status = 500;
  let out: OAuthErrorOut = { error: 'server_error', error_description: 'an unexpected error occurred' };
  if (err instanceof GatehouseError) {
    status = err.status;
    if (err.expose) out = { error: err.code, error_description: err.message };
  } else {
    const e = err as { expose?: boolean; error?: unknown; error_description?: unknown; statusCode?: unknown };
    // oidc-provider's errors: exposed ones carry an RFC error code and a description meant for clients.
    if (e?.expose === true && typeof e.error === 'string' && typeof e.statusCode === 'number') {
      status = e.statusCode;
      out = {
        error: e.error,
        ...(typeof e.error_description === 'string' ? { error_description: e.error_description } : {}),
      };
    }
  }
  return { status, headers: {}, unexpected: status >= 500, locals: (t) => errorLocals(out, err, t) };
}
