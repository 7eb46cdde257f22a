/**
 * The stores and the database, without the HTTP side: what the node (node.ts, the composition root)
 * and the CLI (cli/context.ts) both open. Nothing here loads oidc-provider, so the CLI starts
 * without it; nothing below the node and the CLI imports this module.
 */
import path from 'node:path';
import { ActionTokenStore } from './accounts/action-tokens';
import type { OtpDelivery } from './accounts/delivery';
import { EmailVerification } from './accounts/email-verification';
import { PasswordReset } from './accounts/password-reset';
import { Registration } from './accounts/registration';
import { ConsentStore } from './accounts/consents';
import { PasskeyCeremonies } from './accounts/mfa/passkeys';
import { MfaStore } from './accounts/mfa/store';
import { OtpStore } from './accounts/otp';
import { RoleStore } from './accounts/roles';
import { AccountStore } from './accounts/store';
import { WebhookStore } from './audit/webhooks';
import { ClientStore } from './clients/store';
import { ServiceKeyStore } from './clients/service-keys';
import { KnexResourceServerStore, type ResourceServerStore } from './clients/resource-servers';
import type { Config } from './config';
import { SEEDS_DIR, migrate, openDatabase, type Database, type DatabaseOptions } from './db/database';
import { watchReachability } from './db/unavailable';
import { ACCOUNT_PATHS } from './interactions/account/client';
import { createLogger, type Logger } from './log';
import { revokeClientState } from './oidc/payloads';
import { AccountSessions, revokeAccountStateExcept, revokeAccountStateWithLogout } from './oidc/sessions';
import { KeyStore } from './oidc/keys';
import { createRateLimits, type RateLimits } from './security/rate-limits';

export interface Stores {
  accounts: AccountStore;
  clients: ClientStore;
  serviceKeys: ServiceKeyStore;
  otps: OtpStore;
  /** Second factors: authenticator apps, recovery codes, passkeys. */
  mfa: MfaStore;
  /** The WebAuthn ceremonies (register, sign in) of passkeys. */
  passkeys: PasskeyCeremonies;
  roles: RoleStore;
  /** Single-use links: password resets, e-mail verifications, sign-ups, invitations. */
  actionTokens: ActionTokenStore;
  /** Remembered consent per account and client; revoking one ends that client's grants and tokens. */
  consents: ConsentStore;
  keys: KeyStore;
  /** The account's provider sessions: listed and signed out (the account API and page). */
  sessions: AccountSessions;
  /** The request limits, counted in the database so that every node shares them. */
  rateLimits: RateLimits;
  /** The registry of APIs (RFC 8707 resource indicators): audience, scopes, token format, lifetime. */
  resourceServers: ResourceServerStore;
  /** Event webhook endpoints (Standard Webhooks) and their outbox: replay, counts, deliveries. */
  webhooks: WebhookStore;
}

export interface Services extends Stores {
  config: Config;
  db: Database;
  logger: Logger;
}

export function createStores(config: Config, db: Database): Stores {
  const accounts = new AccountStore(db, {
    bcryptCost: config.bcryptCost,
    lockout: config.lockout,
    // Ending an account's sessions queues their back-channel logout tokens (oidc/sessions.ts).
    revokeState: revokeAccountStateWithLogout,
    revokeStateExcept: revokeAccountStateExcept,
    passwordPolicy: config.passwords,
  });
  return {
    accounts,
    clients: new ClientStore(db),
    serviceKeys: new ServiceKeyStore(db),
    otps: new OtpStore(db, accounts, config.otp, config.secretKey),
    mfa: new MfaStore(db, {
      secretKey: config.secretKey,
      issuerLabel: config.mfa.totpIssuer,
      throttle: accounts.throttle,
      revokeState: revokeAccountStateWithLogout,
    }),
    passkeys: new PasskeyCeremonies(db, config.mfa.webauthn),
    roles: new RoleStore(db),
    actionTokens: new ActionTokenStore(db, config.secretKey),
    consents: new ConsentStore(db, revokeClientState),
    keys: new KeyStore(db, config.secretKey),
    sessions: new AccountSessions(db),
    rateLimits: createRateLimits(db, config.rateLimits),
    // RFC 8707 identifiers are https URIs; http ones only outside production (development APIs).
    resourceServers: new KnexResourceServerStore(db, { allowHttp: config.env !== 'production' }),
    // Receivers get who did what: https in production, but for a receiver on a loopback host.
    webhooks: new WebhookStore(db, { secretKey: config.secretKey, production: config.env === 'production' }),
  };
}

/** Opens and migrates the database and builds the stores: what the node and the CLI share. */
export async function openServices(
  config: Config,
  options: DatabaseOptions & { logger?: Logger } = {},
): Promise<Services> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const db = await openDatabase(config.database, { ...options, logger });
  watchReachability(db, logger);
  try {
    await migrate(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return { config, db, logger, ...createStores(config, db) };
}

/** Seeds the demo data when the database has neither accounts nor clients. Returns whether it did. */
export async function seedDemoIfEmpty(services: Services): Promise<boolean> {
  if (!services.config.seedDemo) return false;
  if ((await services.accounts.count()) > 0 || (await services.clients.count()) > 0) return false;
  const { seedDemo } = require(path.join(SEEDS_DIR, 'demo.js')) as {
    seedDemo: (db: Database, options: { bcryptCost: number }) => Promise<void>;
  };
  await seedDemo(services.db, { bcryptCost: services.config.bcryptCost });
  return true;
}

/** What sends single-use links: built where a delivery is (the node; the CLI for an invitation). */
export interface LinkServices {
  passwordReset: PasswordReset;
  emailVerification: EmailVerification;
  registration: Registration;
  /** Waits for the links being sent after their answers (before the delivery closes). */
  settled(): Promise<void>;
}

export function createLinkServices(services: Services, delivery: OtpDelivery): LinkServices {
  const { config, db, logger, accounts, actionTokens } = services;
  const links = { db, accounts, actionTokens, delivery, logger };
  const passwordReset = new PasswordReset({
    ...links,
    resetUrl: `${config.issuer}${ACCOUNT_PATHS.reset}`,
    ttlSeconds: config.links.passwordResetTtlSeconds,
  });
  const emailVerification = new EmailVerification({
    ...links,
    verifyUrl: `${config.issuer}${ACCOUNT_PATHS.verify}`,
    ttlSeconds: config.links.emailVerificationTtlSeconds,
  });
  const registration = new Registration({ ...services, delivery });
  return {
    passwordReset,
    emailVerification,
    registration,
    async settled() {
      await Promise.all([passwordReset.settled(), emailVerification.settled(), registration.settled()]);
    },
  };
}
