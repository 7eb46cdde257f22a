/**
 * Registers Gatehouse's extension grants on the provider (registerGrantType; oidc-provider docs
 * "Custom Grant Types"). Each grant module exports its grantType, parameters and handler factory.
 */
import type { Provider } from 'oidc-provider';
import type { OtpStore } from '../../accounts/otp';
import type { AccountStore } from '../../accounts/store';
import { SUPPORTED_SCOPES } from '../claims';
import * as otp from './otp';
import * as password from './password';
import type { GrantLimits } from './rate-limit';
import { unauthorizedClientForGrants } from './unauthorized-client';
import { unavailableAsProtocolError } from '../unavailable';

export interface GrantDeps extends GrantLimits {
  accounts: AccountStore;
  otps: OtpStore;
}

export const EXTENSION_GRANT_TYPES: readonly string[] = [password.grantType, otp.grantType];

export function registerGrants(provider: Provider, deps: GrantDeps): void {
  const scopes = new Set(SUPPORTED_SCOPES);
  provider.registerGrantType(
    password.grantType,
    unavailableAsProtocolError(password.createHandler(provider, deps.accounts, scopes, deps)),
    password.parameters,
  );
  provider.registerGrantType(
    otp.grantType,
    unavailableAsProtocolError(otp.createHandler(provider, deps.otps, scopes, deps)),
    otp.parameters,
  );
  provider.use(unauthorizedClientForGrants(new Set(EXTENSION_GRANT_TYPES)));
}
