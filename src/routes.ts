/**
 * What each domain adds to the host: routers mounted in front of the provider, and provider
 * configuration that belongs to a domain above `oidc` (pages, errors, logout). One list, so that
 * main.ts, the tests and the benchmark all start the same app.
 */
import type Router from '@koa/router';
import type { Provider } from 'oidc-provider';
import type { ProviderExtensions } from './oidc/provider';
import type { Services } from './server';

export function createRouters(_services: Services, _provider: Provider): Router[] {
  return [];
}

export function createProviderExtensions(_services: Services): ProviderExtensions {
  return {};
}
