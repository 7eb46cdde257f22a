/**
 * Registers Gatehouse's extension grants on the provider (registerGrantType; oidc-provider docs
 * "Custom Grant Types"). Each grant module exports its grantType, parameters and handler factory.
 */
import type { Provider } from 'oidc-provider';
import type { AccountStore } from '../../accounts/store';
import { SUPPORTED_SCOPES } from '../claims';
import * as password from './password';

export interface GrantDeps {
  accounts: AccountStore;
}

export function registerGrants(provider: Provider, deps: GrantDeps): void {
  const scopes = new Set(SUPPORTED_SCOPES);
  provider.registerGrantType(
    password.grantType,
    password.createHandler(provider, deps.accounts, scopes),
    password.parameters,
  );
}
