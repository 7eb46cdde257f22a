/**
 * The admin console's router (/admin): the dashboard, the callback of its sign-in through
 * Gatehouse's own provider (sign-in.ts), and sign-out. Pages are never cached, framed or indexed
 * (page-guards.ts pageHeaders); every failure is the error page.
 *
 * A post passes, in order: the same-origin check (Fetch Metadata), the form body, a console session
 * (without one, back to /admin, which signs in) and the session's form token (an HMAC of its grant
 * under SECRET_KEY, account/csrf.ts, with the console's own purpose).
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Database } from '../../db/database';
import { GatehouseError } from '../../errors';
import { bodyOf, parseBody } from '../../http/body';
import { errorHandler } from '../../http/errors';
import type { Logger } from '../../log';
import { endGrant } from '../../oidc/internals';
import { FORM_TOKEN_FIELD, formToken, formTokenMatches } from '../account/csrf';
import { createErrorPage } from '../error-page';
import { requestLanguage } from '../i18n';
import { FORM_LIMIT_BYTES, pageHeaders, refuseCrossSite } from '../page-guards';
import type { Pages } from '../views';
import { CONSOLE_PATHS } from './client';
import { dashboardFigures } from './dashboard';
import { consoleSession, endConsoleSession, type ConsoleSession } from './session';
import { finishConsoleSignIn, startConsoleSignIn, type ConsoleSignInOptions } from './sign-in';

/** Keeps the console's form tokens apart from the account pages' under the same secret. */
const FORM_PURPOSE = 'gatehouse:admin-form:v1:';

export interface ConsoleRouterDeps extends ConsoleSignInOptions {
  db: Database;
  pages: Pages;
  logger: Logger;
  /** SECRET_KEY: keys the form tokens. */
  secretKey: string;
}

export function createConsoleRouter(deps: ConsoleRouterDeps): Router {
  const router = new Router();
  const form = parseBody({ limitBytes: FORM_LIMIT_BYTES, types: ['form'] });
  const renderFailures = errorHandler(deps.logger, {
    format: 'page',
    renderPage: createErrorPage(deps.pages),
    message: 'admin console page failed',
  });
  const page = [pageHeaders, renderFailures] as const;

  async function render(ctx: Context, view: string, titleKey: string, locals: Record<string, unknown>) {
    const language = requestLanguage(deps.pages.catalog, ctx);
    const t = deps.pages.catalog.translator(language);
    ctx.type = 'html';
    ctx.body = await deps.pages.render(view, language, {
      title: t(titleKey),
      paths: CONSOLE_PATHS,
      ...locals,
    });
  }

  function chrome(session: ConsoleSession) {
    return {
      username: session.account.username,
      csrfField: FORM_TOKEN_FIELD,
      csrfToken: formToken(deps.secretKey, session.grantId, FORM_PURPOSE),
    };
  }

  /** A console session whose post carries its form token, or no further. */
  async function postingSession(ctx: Context): Promise<ConsoleSession | null> {
    const session = await consoleSession(ctx, deps);
    if (!session) {
      ctx.status = 303;
      ctx.redirect(CONSOLE_PATHS.root);
      return null;
    }
    if (!formTokenMatches(deps.secretKey, session.grantId, bodyOf(ctx)[FORM_TOKEN_FIELD], FORM_PURPOSE))
      throw new GatehouseError(
        'access_denied',
        403,
        'the form token is missing or does not match this session',
      );
    return session;
  }

  router.get('showConsole', CONSOLE_PATHS.root, ...page, async function showConsole(ctx) {
    const session = await consoleSession(ctx, deps);
    if (!session) return startConsoleSignIn(ctx, deps);
    const figures = await dashboardFigures(deps.db);
    await render(ctx, 'admin-dashboard', 'admin.dashboard.title', { ...chrome(session), figures });
  });

  router.get('consoleCallback', CONSOLE_PATHS.callback, ...page, function consoleCallback(ctx) {
    return finishConsoleSignIn(ctx, deps);
  });

  /** Ends the console session and its grant; the Gatehouse session itself stays (sign out there). */
  router.post(
    'signOutOfConsole',
    CONSOLE_PATHS.signOut,
    ...page,
    refuseCrossSite(),
    form,
    async function signOut(ctx) {
      const session = await postingSession(ctx);
      if (!session) return;
      await endGrant(deps.provider, session.grantId);
      endConsoleSession(ctx, deps);
      await render(ctx, 'admin-signed-out', 'admin.signedOut.title', {});
    },
  );
  router.get(CONSOLE_PATHS.signOut, ...page, function redirectToConsole(ctx) {
    ctx.status = 303;
    ctx.redirect(CONSOLE_PATHS.root);
  });
  return router;
}
