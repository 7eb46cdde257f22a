/**
 * The interactions domain: the login, consent and logout pages. `createInteractions` builds the
 * router for the host and the provider configuration the pages need, sharing one renderer.
 */
import type Router from '@koa/router';
import type { Provider } from 'oidc-provider';
import type { AccountStore } from '../accounts/store';
import type { Logger } from '../log';
import type { ProviderExtensions } from '../oidc/provider';
import { createPageConfiguration } from './provider-pages';
import { createInteractionRouter } from './routes';
import { createPages } from './views';

export { createPages } from './views';

export function interactionRouter(deps: {
  provider: Provider;
  accounts: AccountStore;
  logger: Logger;
}): Router {
  return createInteractionRouter({ ...deps, pages: createPages() });
}

export function interactionConfiguration(deps: { accounts: AccountStore }): ProviderExtensions {
  return createPageConfiguration({ ...deps, pages: createPages() });
}
