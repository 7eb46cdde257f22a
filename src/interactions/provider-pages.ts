/**
 * The provider configuration that belongs to the pages: the error page oidc-provider renders for
 * browsers (renderError, which also answers unknown routes), the RP-initiated logout confirmation and
 * the signed-out page (OpenID Connect RP-Initiated Logout 1.0 §2-§3), first-party consent through
 * loadExistingGrant, and the page languages in discovery.
 */
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AccountStore } from '../accounts/store';
import type { ProviderExtensions } from '../oidc/provider';
import { createLoadExistingGrant } from './consent';
import { errorLocals } from './error-page';
import type { Pages } from './views';

function languageOf(pages: Pages, ctx: KoaContextWithOIDC): string {
  // The error handler may run before the request's parameters were read.
  let uiLocales: unknown;
  try {
    uiLocales = ctx.oidc?.params?.ui_locales;
  } catch {
    uiLocales = undefined;
  }
  return pages.catalog.pick(
    typeof uiLocales === 'string' ? uiLocales : undefined,
    ctx.get('accept-language'),
  );
}

async function respond(
  ctx: KoaContextWithOIDC,
  pages: Pages,
  view: string,
  locals: (t: ReturnType<Pages['catalog']['translator']>) => Record<string, unknown> & { title: string },
): Promise<void> {
  const language = languageOf(pages, ctx);
  const html = await pages.render(view, language, locals(pages.catalog.translator(language)));
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = html;
}

export function createPageConfiguration(deps: { pages: Pages; accounts: AccountStore }): ProviderExtensions {
  const { pages, accounts } = deps;
  return {
    async renderError(ctx, out, error) {
      await respond(ctx, pages, 'error', (t) => ({ title: t('error.title'), ...errorLocals(out, error, t) }));
    },
    loadExistingGrant: createLoadExistingGrant(accounts),
    discovery: { ui_locales_supported: pages.catalog.languages },
    features: {
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx) {
          // The same form the library builds (`form`), laid out by the template: the confirmation
          // endpoint and the anti-CSRF secret the library keeps in the session.
          const { session, client } = ctx.oidc;
          const account = session?.accountId ? await accounts.findById(session.accountId) : null;
          const xsrf = (session?.state as { secret?: string } | undefined)?.secret ?? '';
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
