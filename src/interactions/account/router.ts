/**
 * The account pages' router: /account (the overview: profile, password, apps, sessions), /account/mfa
 * and their forms, and /account/callback where the sign-in through Gatehouse's own authorization
 * endpoint returns (sign-in.ts). Pages are never cached or
 * indexed (they show a person's factors, and once their secrets); every failure is the error page.
 *
 * A post passes, in order: the same-origin check (Fetch Metadata), the form body, a signed-in
 * session (without one, back to the page, which signs in first) and the session's form token.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { parseBody } from '../../http/body';
import { errorHandler } from '../../http/errors';
import type { Logger } from '../../log';
import { createErrorPage } from '../error-page';
import { ACCOUNT_PATHS } from './client';
import { FORM_LIMIT_BYTES, pageHeaders, refuseCrossSite } from '../page-guards';
import { createAccountHandlers, type AccountPageDeps, type AccountHandlers } from './handlers';
import { createOverviewHandlers, type AccountOverviewDeps } from './overview';
import { checkFormToken, signedIn, type SignedIn } from './session';
import { finishSignIn } from './sign-in';

export interface AccountRouterDeps extends AccountPageDeps, AccountOverviewDeps {
  accounts: AccountPageDeps['accounts'] & AccountOverviewDeps['accounts'];
  mfa: AccountPageDeps['mfa'] & AccountOverviewDeps['mfa'];
  logger: Logger;
}

type PostHandler = (ctx: Context, current: SignedIn) => Promise<void>;

export function createAccountRouter(deps: AccountRouterDeps): Router {
  const handlers: AccountHandlers = createAccountHandlers(deps);
  const overview = createOverviewHandlers(deps);
  const router = new Router();
  const form = parseBody({ limitBytes: FORM_LIMIT_BYTES, types: ['form'] });
  const renderFailures = errorHandler(deps.logger, {
    format: 'page',
    renderPage: createErrorPage(deps.pages),
    message: 'account page failed',
  });
  const page = [pageHeaders, renderFailures] as const;

  /** Signed in and carrying this session's form token, or no further (back to `pagePath`). */
  function signedInPost(handler: PostHandler, pagePath: string = ACCOUNT_PATHS.mfa) {
    return async function checkSignedInPost(ctx: Context): Promise<void> {
      const current = await signedIn(ctx, deps);
      if (!current) {
        ctx.status = 303;
        ctx.redirect(pagePath);
        return;
      }
      checkFormToken(ctx, deps, current.session);
      await handler(ctx, current);
    };
  }
  const post = (path: string, name: string, handler: PostHandler) =>
    router.post(name, path, ...page, refuseCrossSite(), form, signedInPost(handler));

  router.get('showAccountMfa', ACCOUNT_PATHS.mfa, ...page, handlers.showMfa);
  router.get('accountCallback', ACCOUNT_PATHS.callback, ...page, function accountCallback(ctx) {
    finishSignIn(ctx, deps);
  });
  post(ACCOUNT_PATHS.startTotp, 'startAccountTotp', handlers.startTotp);
  post(ACCOUNT_PATHS.confirmTotp, 'confirmAccountTotp', handlers.confirmTotp);
  post(ACCOUNT_PATHS.removeTotp, 'removeAccountTotp', handlers.removeTotp);
  post(ACCOUNT_PATHS.recoveryCodes, 'regenerateAccountRecoveryCodes', handlers.regenerateRecoveryCodes);
  post(ACCOUNT_PATHS.removePasskey, 'removeAccountPasskey', handlers.removePasskey);

  // The overview and its forms; signed out, a post goes back to the overview, which signs in.
  const overviewPost = (path: string, name: string, handler: PostHandler) =>
    router.post(name, path, ...page, refuseCrossSite(), form, signedInPost(handler, ACCOUNT_PATHS.root));
  router.get('showAccount', ACCOUNT_PATHS.root, ...page, overview.showOverview);
  overviewPost(ACCOUNT_PATHS.profile, 'updateAccountProfile', overview.updateProfile);
  overviewPost(ACCOUNT_PATHS.password, 'changeAccountPassword', overview.changePassword);
  overviewPost(ACCOUNT_PATHS.revokeConsent, 'revokeAccountConsent', overview.revokeConsent);
  overviewPost(ACCOUNT_PATHS.revokeSession, 'revokeAccountSession', overview.revokeSession);
  // A form's URL opened directly (a reload after a redirect, a bookmark): the page of the form.
  const redirectGets = (paths: string[], to: string) => {
    for (const path of paths)
      router.get(path, ...page, function redirectToAccountPage(ctx) {
        ctx.status = 303;
        ctx.redirect(to);
      });
  };
  redirectGets(
    [ACCOUNT_PATHS.profile, ACCOUNT_PATHS.password, ACCOUNT_PATHS.revokeConsent, ACCOUNT_PATHS.revokeSession],
    ACCOUNT_PATHS.root,
  );
  redirectGets(
    [
      ACCOUNT_PATHS.startTotp,
      ACCOUNT_PATHS.confirmTotp,
      ACCOUNT_PATHS.removeTotp,
      ACCOUNT_PATHS.recoveryCodes,
    ],
    ACCOUNT_PATHS.mfa,
  );
  return router;
}
