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
import type { AccountStore } from '../../accounts/store';
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
import { USER_NOTICES, USER_PATHS, loadUser, userListLocals, userLocals, userPath } from './users';

/** Keeps the console's form tokens apart from the account pages' under the same secret. */
const FORM_PURPOSE = 'gatehouse:admin-form:v1:';

export interface ConsoleRouterDeps extends ConsoleSignInOptions {
  accounts: Pick<AccountStore, 'findById' | 'list' | 'setDisabled'>;
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
      // The layout's wider column: the console's pages hold tables.
      wide: true,
      ...locals,
    });
  }

  function chrome(session: ConsoleSession) {
    return {
      nav: [
        { href: CONSOLE_PATHS.root, label: 'admin.nav.dashboard' },
        { href: USER_PATHS.list, label: 'admin.nav.users' },
      ],
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

  /** A page for a signed-in administrator; signed out, the sign-in (which comes back to /admin). */
  function consolePage(
    name: string,
    path: string,
    show: (ctx: Context, session: ConsoleSession) => Promise<void>,
  ) {
    router.get(name, path, ...page, async function showConsolePage(ctx) {
      const session = await consoleSession(ctx, deps);
      if (!session) return startConsoleSignIn(ctx, deps);
      await show(ctx, session);
    });
  }

  /** A form of a signed-in administrator: same site, its form token, then the change. */
  function consolePost(
    name: string,
    path: string,
    change: (ctx: Context, session: ConsoleSession) => Promise<void>,
  ) {
    router.post(name, path, ...page, refuseCrossSite(), form, async function changeFromConsole(ctx) {
      const session = await postingSession(ctx);
      if (session) await change(ctx, session);
    });
    router.get(path, ...page, function redirectToConsolePage(ctx) {
      ctx.status = 303;
      ctx.redirect(CONSOLE_PATHS.root);
    });
  }

  consolePage('showConsoleUsers', USER_PATHS.list, async (ctx, session) => {
    const locals = await userListLocals(ctx, deps.accounts);
    await render(ctx, 'admin-users', 'admin.users.title', { ...chrome(session), ...locals });
  });
  consolePage('showConsoleUser', USER_PATHS.show, async (ctx, session) => {
    const account = await loadUser(ctx, deps.accounts);
    const done = typeof ctx.query.done === 'string' ? ctx.query.done : '';
    const notice = Object.hasOwn(USER_NOTICES, done) ? USER_NOTICES[done as keyof typeof USER_NOTICES] : null;
    await render(ctx, 'admin-user', 'admin.user.title', {
      ...chrome(session),
      ...userLocals(account, session),
      notice,
    });
  });
  for (const disabled of [true, false]) {
    const path = disabled ? USER_PATHS.disable : USER_PATHS.enable;
    consolePost(disabled ? 'disableConsoleUser' : 'enableConsoleUser', path, async (ctx, session) => {
      const account = await loadUser(ctx, deps.accounts);
      if (disabled && account.id === session.account.id)
        throw new GatehouseError(
          'invalid_request',
          409,
          'an administrator cannot disable their own account here',
        );
      await deps.accounts.setDisabled(account.id, disabled);
      ctx.status = 303;
      ctx.redirect(`${userPath(USER_PATHS.show, account.id)}?done=${disabled ? 'disabled' : 'enabled'}`);
    });
  }

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
