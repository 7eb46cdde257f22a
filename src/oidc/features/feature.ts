/**
 * A protocol feature of the provider (oidc-provider's `features.*`): the configuration it adds, and
 * what it installs on the built provider (events, middleware). Each feature is one file in this
 * folder; provider.ts merges them in one documented order (merge.ts).
 */
import type { Provider } from 'oidc-provider';
import type { Config } from '../../config';
import type { ProviderDeps, ProviderExtensions } from '../provider-deps';

export interface Feature {
  /** Configuration added to the provider's: `features.<name>` and whatever else the feature needs. */
  configure(config: Config, deps: ProviderDeps): ProviderExtensions;
  /** Runs once on the built provider, before its middleware is mounted. */
  install?(provider: Provider, config: Config, deps: ProviderDeps): void;
}
