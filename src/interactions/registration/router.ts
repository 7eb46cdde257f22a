/**
 * The sign-up pages' router (REGISTRATION). `open`: /account/register (the form, its post) and
 * /account/register/verify (the link). Any other mode leaves those routes out, so they answer like
 * any unknown path (the not-found page) and tell nothing of a feature that is off. /account/invitation
 * is always routed and works only for a live invitation link (one an administrator sent while
 * invitations were on, until it expires).
 *
 * No session exists on these pages, so there is no session-bound form token: a forged post could
 * only sign someone up under the forger's own choice of name and address, and the invitation form
 * carries its link's token, which another site cannot know. Posts that the browser says came from
 * another site are refused all the same (Fetch Metadata).
 */
import Router from '@koa/router';
import type { Config } from '../../config';
import { parseBody } from '../../http/body';
import { errorHandler } from '../../http/errors';
import type { Logger } from '../../log';
import { ACCOUNT_PATHS } from '../account/client';
import { createErrorPage } from '../error-page';
import { FORM_LIMIT_BYTES, pageHeaders, refuseCrossSite } from '../page-guards';
import { createRegistrationHandlers, type RegistrationPageDeps } from './handlers';

export interface RegistrationRouterDeps extends RegistrationPageDeps {
  mode: Config['registration'];
  logger: Logger;
}

export function createRegistrationRouter(deps: RegistrationRouterDeps): Router {
  const handlers = createRegistrationHandlers(deps);
  const router = new Router();
  const form = parseBody({ limitBytes: FORM_LIMIT_BYTES, types: ['form'] });
  const renderFailures = errorHandler(deps.logger, {
    format: 'page',
    renderPage: createErrorPage(deps.pages),
    message: 'sign-up page failed',
  });
  const page = [pageHeaders, renderFailures] as const;
  const post = [...page, refuseCrossSite(), form] as const;

  if (deps.mode === 'open') {
    router.get('showRegister', ACCOUNT_PATHS.register, ...page, handlers.showRegister);
    router.post('register', ACCOUNT_PATHS.register, ...post, handlers.register);
    router.get('verifyRegistration', ACCOUNT_PATHS.registerVerify, ...page, handlers.verify);
  }
  router.get('showInvitation', ACCOUNT_PATHS.invitation, ...page, handlers.showInvitation);
  router.post('acceptInvitation', ACCOUNT_PATHS.invitation, ...post, handlers.acceptInvitation);
  return router;
}
