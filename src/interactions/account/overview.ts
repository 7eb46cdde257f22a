/**
 * The handlers of /account, the overview of one's account (what Keycloak's account console offers):
 * the page, and what its forms do. Every post is checked before it arrives here (router.ts: same
 * origin, signed in, the session's form token). Removing an app ends what the person allowed it
 * (ConsentStore.revoke: the consent, its grants and tokens, the app's part of the sessions); signing
 * a session out ends it and its tokens (AccountSessions.revoke). Both name their target in the path;
 * one that is not the person's is a 404, whether it exists for someone else or not at all.
 */
import type { Context } from 'koa';
import { isStorableText } from '../../db/text';
import { notFound } from '../../errors';
import { ACCOUNT_CLIENT_ID, ACCOUNT_PATHS } from './client';
import { backToOverview, createOverviewForms } from './overview-forms';
import {
  createOverviewRenderer,
  OVERVIEW_NOTICES,
  type AccountOverviewDeps,
  type OverviewNotice,
} from './overview-page';
import { signedIn, type SignedIn } from './session';
import { startSignIn } from './sign-in';

export type { AccountOverviewDeps } from './overview-page';

/** Client ids and session uids are short; anything longer, or unstorable, names nothing. */
function pathParameter(ctx: Context, name: string): string | null {
  const value = ctx.params[name];
  if (typeof value !== 'string' || !value || value.length > 255 || !isStorableText(value)) return null;
  return value;
}

export function createOverviewHandlers(deps: AccountOverviewDeps) {
  const render = createOverviewRenderer(deps);
  const forms = createOverviewForms(deps, render);

  return {
    ...forms,

    /** GET /account: the page, or the sign-in first (which comes back here). */
    async showOverview(ctx: Context): Promise<void> {
      const current = await signedIn(ctx, deps);
      if (!current) return startSignIn(ctx, deps, ACCOUNT_PATHS.root);
      const done = typeof ctx.query.done === 'string' ? ctx.query.done : '';
      const notice = Object.hasOwn(OVERVIEW_NOTICES, done) ? (done as OverviewNotice) : undefined;
      await render(ctx, current, notice ? { notice } : {});
    },

    /** POST /account/consents/:clientId/revoke: "Remove access". */
    async revokeConsent(ctx: Context, current: SignedIn): Promise<void> {
      const clientId = pathParameter(ctx, 'clientId');
      // The account page's own sign-in is not listed among the apps, and not removed as one.
      if (!clientId || clientId === ACCOUNT_CLIENT_ID) throw notFound('no such app');
      if (!(await deps.consents.revoke(current.account.id, clientId))) throw notFound('no such app');
      backToOverview(ctx, 'app-removed');
    },

    /**
     * POST /account/sessions/:id/revoke: "Sign out". This browser's own session too: then the page
     * signs in again, since the session it had is gone.
     */
    async revokeSession(ctx: Context, current: SignedIn): Promise<void> {
      const id = pathParameter(ctx, 'id');
      if (!id || !(await deps.sessions.revoke(current.account.id, id))) throw notFound('no such session');
      if (id === current.session.uid) return backToOverview(ctx);
      backToOverview(ctx, 'session-ended');
    },
  };
}

export type OverviewHandlers = ReturnType<typeof createOverviewHandlers>;
