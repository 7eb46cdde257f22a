/**
 * The interactions domain: the login, consent and logout pages. `interactionRouter` gives the host
 * its router, `interactionConfiguration` gives the provider the pages it renders itself.
 */
import type Router from '@koa/router';
import type { Provider } from 'oidc-provider';
import type { AccountStore } from '../accounts/store';
import type { Logger } from '../log';
import type { ProviderExtensions } from '../oidc/provider';
import type { RateLimits } from '../security/rate-limits';
import { renderNotFound } from './not-found';
import { createPageConfiguration } from './provider-pages';
import { createInteractionRouter } from './routes';
import { createPages } from './views';

export { createPages } from './views';

/**
 * The router of the pages, for the host. It also gives the provider its not-found page: unknown
 * routes fall through the host to the provider, which would otherwise answer a bare 404.
 */
export function interactionRouter(deps: {
  provider: Provider;
  accounts: AccountStore;
  logger: Logger;
  rateLimits: RateLimits;
  proxy: boolean;
}): Router {
  const pages = createPages();
  deps.provider.use(renderNotFound(pages));
  return createInteractionRouter({ ...deps, pages });
}

export function interactionConfiguration(deps: { accounts: AccountStore }): ProviderExtensions {
  return createPageConfiguration({ ...deps, pages: createPages() });
}
