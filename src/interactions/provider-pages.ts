/**
 * The provider configuration that belongs to the pages: the error page oidc-provider renders for
 * browsers (renderError: the one error page, error-page.ts), the RP-initiated logout confirmation and
 * the signed-out page (OpenID Connect RP-Initiated Logout 1.0 §2-§3), first-party and remembered
 * consent through loadExistingGrant, and the page languages in discovery.
 */
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { ConsentStore } from '../accounts/consents';
import type { AccountStore } from '../accounts/store';
import { logoutFormSecret } from '../oidc/internals';
import type { ProviderExtensions } from '../oidc/provider';
import { createLoadExistingGrant } from './consent';
import { createErrorPage } from './error-page';
import { requestLanguage } from './i18n';
import type { Pages } from './views';

async function respond(
  ctx: KoaContextWithOIDC,
  pages: Pages,
  view: string,
  locals: (t: ReturnType<Pages['catalog']['translator']>) => Record<string, unknown> & { title: string },
): Promise<void> {
  const language = requestLanguage(pages.catalog, ctx);
  const html = await pages.render(view, language, locals(pages.catalog.translator(language)));
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = html;
}

export function createPageConfiguration(deps: {
  pages: Pages;
  accounts: AccountStore;
  consents: Pick<ConsentStore, 'find'>;
}): ProviderExtensions {
  const { pages, accounts, consents } = deps;
  return {
    // The provider's own errors on the page every other error answer renders.
    renderError: createErrorPage(pages),
    loadExistingGrant: createLoadExistingGrant({ accounts, consents }),
    discovery: { ui_locales_supported: pages.catalog.languages },
    features: {
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx) {
          // The same form the library builds (`form`), laid out by the template: the confirmation
          // endpoint and the anti-CSRF secret the library keeps in the session.
          const { session, client } = ctx.oidc;
          const account = session?.accountId ? await accounts.findById(session.accountId) : null;
          const xsrf = logoutFormSecret(ctx);
          await respond(ctx, pages, 'logout', (t) => ({
            title: t('logout.title'),
            action: ctx.oidc.urlFor('end_session_confirm'),
            xsrf,
            client: client ? (client.clientName ?? client.clientId) : null,
            username: account?.username ?? null,
          }));
        },
        async postLogoutSuccessSource(ctx) {
          const { client } = ctx.oidc;
          await respond(ctx, pages, 'logged-out', (t) => ({
            title: t('loggedOut.title'),
            client: client ? (client.clientName ?? client.clientId) : null,
          }));
        },
      },
    },
  };
}
