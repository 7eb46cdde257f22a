/** What the API's handlers are built from: the stores and the provider, passed in (no singletons). */
import type { Provider } from 'oidc-provider';
import type { Services } from '../services';

export interface ApiDeps {
  services: Services;
  provider: Provider;
}
