/**
 * The one module that reaches into oidc-provider's internals: the per-instance state the library's
 * own modules read through lib/helpers/weak_cache.js. A library upgrade that changes it breaks here
 * and nowhere else (checked against oidc-provider 9.13).
 */
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';

export type GrantHandler = (ctx: KoaContextWithOIDC) => Promise<void>;

interface ProviderInternals {
  grantTypeHandlers: Map<string, GrantHandler>;
}

// The same module instance the library imports (one ESM cache), so it reads the same private state.
const weakCache = require('oidc-provider/lib/helpers/weak_cache.js') as {
  default: (provider: Provider) => ProviderInternals | undefined;
};

/**
 * Replaces the handler of a grant type the library registered itself with `wrap(original)`. The
 * public registerGrantType can replace a handler but cannot hand back the library's own.
 */
export function wrapGrantHandler(
  provider: Provider,
  grantType: string,
  wrap: (original: GrantHandler) => GrantHandler,
): void {
  const handlers = weakCache.default(provider)?.grantTypeHandlers;
  const original = handlers?.get(grantType);
  if (!handlers || !original) throw new Error(`oidc-provider has no '${grantType}' grant handler to wrap`);
  handlers.set(grantType, wrap(original));
}
