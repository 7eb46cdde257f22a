/**
 * What the provider is built from (the stores, the keys, the limits) and what callers may add to its
 * configuration: the types the features (features/) and provider.ts share, apart so that a feature
 * needs no import of the file that imports it.
 */
import type { Configuration } from 'oidc-provider';
import type { MfaStore } from '../accounts/mfa/store';
import type { OtpStore } from '../accounts/otp';
import type { AccountStore } from '../accounts/store';
import type { ResourceServerStore } from '../clients/resource-servers';
import type { ClientStore } from '../clients/store';
import type { Database } from '../db/database';
import type { Logger } from '../log';
import type { RateLimits } from '../security/rate-limits';
import type { KeyMaterial } from './keys';

export interface ProviderDeps {
  db: Database;
  accounts: AccountStore;
  clients: ClientStore;
  /** The one-time codes the OTP grant spends. */
  otps: OtpStore;
  /** Second factors, for the password grant. */
  mfa: MfaStore;
  keys: KeyMaterial;
  logger: Logger;
  /** The shared request limits: failed client authentications, the extension grants. */
  rateLimits: RateLimits;
  /** The registry of APIs: features.resourceIndicators (RFC 8707, RFC 9068). */
  resourceServers: ResourceServerStore;
}

/** Options a caller (the interaction routes, the grants) may add to the configuration. */
export type ProviderExtensions = Partial<Configuration>;
