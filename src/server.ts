/**
 * Assembles a running Gatehouse node: database (migrated), demo seed on first start, keys, stores,
 * provider, routers, HTTP server, and the purge timer. main.ts and the tests both start nodes here.
 */
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Provider } from 'oidc-provider';
import { OtpStore } from './accounts/otp';
import { RoleStore } from './accounts/roles';
import { AccountStore } from './accounts/store';
import { createApp } from './app';
import { ClientStore } from './clients/store';
import { ServiceKeyStore } from './clients/service-keys';
import type { Config } from './config';
import { SEEDS_DIR, createDatabase, migrate, type Database, type DatabaseOptions } from './db/database';
import { createLogger, type Logger } from './log';
import { purgeOnce } from './purge';
import { registerGrants } from './oidc/grants';
import { KeyStore } from './oidc/keys';
import { createProvider } from './oidc/provider';
import { createProviderExtensions, createRouters } from './routes';

export interface Stores {
  accounts: AccountStore;
  clients: ClientStore;
  serviceKeys: ServiceKeyStore;
  otps: OtpStore;
  roles: RoleStore;
  keys: KeyStore;
}

export interface Services extends Stores {
  config: Config;
  db: Database;
  logger: Logger;
}

export interface RunningServer {
  url: string;
  server: http.Server;
  provider: Provider;
  services: Services;
  /** Checks the database for rotated keys now and rebuilds the provider if they changed. */
  refreshKeys(): Promise<boolean>;
  /** Stops accepting connections, waits for in-flight requests, then closes the database. */
  close(): Promise<void>;
}

export function createStores(config: Config, db: Database): Stores {
  const accounts = new AccountStore(db, { bcryptCost: config.bcryptCost, lockout: config.lockout });
  return {
    accounts,
    clients: new ClientStore(db),
    serviceKeys: new ServiceKeyStore(db),
    otps: new OtpStore(db, accounts, config.otp, config.secretKey),
    roles: new RoleStore(db),
    keys: new KeyStore(db, config.secretKey),
  };
}

/** Opens and migrates the database and builds the stores: what the server and the CLI share. */
export async function openServices(
  config: Config,
  options: DatabaseOptions & { logger?: Logger } = {},
): Promise<Services> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const db = createDatabase(config.database, options);
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

export interface StartOptions extends DatabaseOptions {
  logger?: Logger;
}

/** The provider and the request handler of a node, built from the current key material. */
async function buildHandler(
  services: Services,
): Promise<{ provider: Provider; handler: http.RequestListener }> {
  const { config, db, logger } = services;
  const keys = await services.keys.load();
  const provider = createProvider(
    config,
    { db, accounts: services.accounts, clients: services.clients, keys, logger },
    createProviderExtensions(services),
  );
  registerGrants(provider, { accounts: services.accounts, otps: services.otps });
  const app = createApp(config, {
    db,
    provider,
    logger,
    cookieKeys: keys.cookieKeys,
    routers: createRouters(services, provider),
  });
  return { provider, handler: app.callback() };
}

export async function startServer(
  config: Config,
  options: StartOptions = {},
): Promise<RunningServer & { seeded: boolean }> {
  const services = await openServices(config, options);
  const { db, logger } = services;
  try {
    const seeded = await seedDemoIfEmpty(services);
    await services.keys.ensure();
    let keysVersion = await services.keys.version();
    let current = await buildHandler(services);

    // The handler is looked up per request, so a rebuilt provider takes over without a restart;
    // requests already running finish on the one they started with.
    const server = http.createServer((req, res) => current.handler(req, res));
    // Keep-alive sockets must not hold a graceful shutdown open for long.
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`;

    /** Rebuilds the provider when another node (or the CLI) rotated or retired keys. */
    async function refreshKeys(): Promise<boolean> {
      await services.keys.retireExpired();
      const version = await services.keys.version();
      if (version === keysVersion) return false;
      current = await buildHandler(services);
      keysVersion = version;
      logger.info('signing keys changed; provider rebuilt');
      return true;
    }

    const timers = [startPurgeTimer(services), startKeysTimer(services, refreshKeys)].filter(
      (t): t is NodeJS.Timeout => t !== undefined,
    );
    let closing: Promise<void> | undefined;
    return {
      url,
      server,
      get provider() {
        return current.provider;
      },
      services,
      seeded,
      refreshKeys,
      close() {
        closing ??= (async () => {
          for (const timer of timers) clearInterval(timer);
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          });
          await db.destroy();
        })();
        return closing;
      },
    };
  } catch (err) {
    await db.destroy();
    throw err;
  }
}

function startKeysTimer(services: Services, refresh: () => Promise<boolean>): NodeJS.Timeout | undefined {
  const seconds = services.config.keysRefreshIntervalSeconds;
  if (!seconds) return undefined;
  const timer = setInterval(() => {
    refresh().catch((err) => services.logger.warn({ err }, 'key refresh failed'));
  }, seconds * 1000);
  timer.unref();
  return timer;
}

function startPurgeTimer(services: Services): NodeJS.Timeout | undefined {
  if (!services.config.purgeIntervalSeconds) return undefined;
  const timer = setInterval(() => {
    // Bounded batches per tick; whatever is left waits for the next tick.
    purgeOnce(services.db, { maxBatches: 20 })
      .then((deleted) => {
        if (deleted) services.logger.info({ deleted }, 'purged expired rows');
      })
      .catch((err) => services.logger.warn({ err }, 'purge failed'));
  }, services.config.purgeIntervalSeconds * 1000);
  timer.unref();
  return timer;
}
