/**
 * The recovery pages' router: /account/forgot, /account/reset and /account/verify, for a person who
 * is not signed in (handlers.ts). Never cached or indexed; posts only from this site (Fetch
 * Metadata) with a small form body; every failure is the error page.
 */
import Router from '@koa/router';
import { parseBody } from '../../http/body';
import { errorHandler } from '../../http/errors';
import type { Logger } from '../../log';
import { ACCOUNT_PATHS } from '../account/client';
import { createErrorPage } from '../error-page';
import { FORM_LIMIT_BYTES, pageHeaders, refuseCrossSite } from '../page-guards';
import { createRecoveryHandlers, type RecoveryPageDeps } from './handlers';

export interface RecoveryRouterDeps extends RecoveryPageDeps {
  logger: Logger;
}

export function createRecoveryRouter(deps: RecoveryRouterDeps): Router {
  const handlers = createRecoveryHandlers(deps);
  const router = new Router();
  const form = parseBody({ limitBytes: FORM_LIMIT_BYTES, types: ['form'] });
  const renderFailures = errorHandler(deps.logger, {
    format: 'page',
    renderPage: createErrorPage(deps.pages),
    message: 'recovery page failed',
  });
  const page = [pageHeaders, renderFailures] as const;
  const post = [...page, refuseCrossSite(), form] as const;

  router.get('showForgotPassword', ACCOUNT_PATHS.forgot, ...page, handlers.showForgot);
  router.post('requestPasswordResetPage', ACCOUNT_PATHS.forgot, ...post, handlers.requestReset);
  router.get('showPasswordReset', ACCOUNT_PATHS.reset, ...page, handlers.showReset);
  router.post('resetPasswordPage', ACCOUNT_PATHS.reset, ...post, handlers.resetPassword);
  router.get('verifyEmailPage', ACCOUNT_PATHS.verify, ...page, handlers.verifyEmail);
  return router;
}
