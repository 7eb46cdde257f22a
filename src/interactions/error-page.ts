/**
 * The error page: the error code, a sentence for a person in the page's language, and the exposed
 * description; never a stack trace. What the error is (status, code, description) was decided by the
 * one error handler (src/http/errors.ts) or, on the provider's routes, by the provider itself; this
 * only shows it. The provider's renderError, the login pages' errors, unknown routes and outages all
 * render this one page.
 */
import type { Context } from 'koa';
import type { ErrorOut, RenderErrorPage } from '../http/errors';
import { requestLanguage, type Translate } from './i18n';
import type { Pages } from './views';

export interface ErrorLocals {
  code: string;
  message: string;
  description: string | null;
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

export function errorLocals(out: ErrorOut, err: unknown, t: Translate): ErrorLocals {
  const message = isSessionNotFound(err)
    ? t('error.session_not_found')
    : EXPLAINED.has(out.error)
      ? t(`error.code.${out.error}`)
      : t('error.code.other');
  return { code: out.error, message, description: out.error_description ?? null };
}

/** The page renderer every error answer uses, the provider's renderError included. */
export function createErrorPage(pages: Pages): RenderErrorPage {
  return async function renderErrorPage(ctx: Context, out: ErrorOut, err: unknown): Promise<void> {
    const language = requestLanguage(pages.catalog, ctx);
    const t = pages.catalog.translator(language);
    const html = await pages.render('error', language, {
      title: t('error.title'),
      ...errorLocals(out, err, t),
    });
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = html;
  };
}
