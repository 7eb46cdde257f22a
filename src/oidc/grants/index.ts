/**
 * Registers Gatehouse's extension grants on the provider (registerGrantType; oidc-provider docs
 * "Custom Grant Types"). Each grant module exports its grantType, parameters and handler factory.
 * Their answer to a client that does not list them (internals.ts answerUnauthorizedClient) is a
 * provider middleware, and provider.ts mounts it with the others, in their one documented order.
 */
import type { Provider } from 'oidc-provider';
import type { MfaStore } from '../../accounts/mfa/store';
import type { OtpStore } from '../../accounts/otp';
import type { AccountStore } from '../../accounts/store';
import type { ResourceServerStore } from '../../clients/resource-servers';
import type { KeyMaterial } from '../keys';
import * as otp from './otp';
import * as password from './password';
import * as tokenExchange from './token-exchange';
import type { GrantLimits } from './rate-limit';
import { unavailableAsProtocolError } from '../unavailable';

export interface GrantDeps extends GrantLimits {
  accounts: AccountStore;
  otps: OtpStore;
  mfa: MfaStore;
  /** MFA_REQUIRED_ROLES. */
  mfaRequiredRoles: readonly string[];
  /** Every scope the provider knows (claims.ts supportedScopes): what the grants may grant. */
  scopes: readonly string[];
  /** The registry of APIs: the audiences token exchange may issue for. */
  resourceServers: Pick<ResourceServerStore, 'find'>;
  /** The provider's signing keys: token exchange verifies the JWT access tokens presented to it. */
  keys: Pick<KeyMaterial, 'jwks'>;
  /** ACCESS_TOKEN_TTL. */
  accessTokenTtl: number;
}

export function registerGrants(provider: Provider, deps: GrantDeps): void {
  const scopes = new Set(deps.scopes);
  provider.registerGrantType(
    password.grantType,
    unavailableAsProtocolError(password.createHandler(provider, deps, scopes, deps)),
    password.parameters,
  );
  provider.registerGrantType(
    otp.grantType,
    unavailableAsProtocolError(otp.createHandler(provider, deps.otps, deps.accounts, scopes, deps)),
    otp.parameters,
  );
  provider.registerGrantType(
    tokenExchange.grantType,
    unavailableAsProtocolError(tokenExchange.createHandler(provider, deps, scopes)),
    tokenExchange.parameters,
    tokenExchange.duplicates,
  );
}
