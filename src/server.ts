/**
 * Assembles a running Gatehouse node: database (migrated), demo seed on first start, keys, stores,
 * provider, routers, HTTP server, and the purge timer. main.ts and the tests both start nodes here.
 */
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Provider } from 'oidc-provider';
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
  /** Stops accepting connections, waits for in-flight requests, then closes the database. */
  close(): Promise<void>;
}

export function createStores(config: Config, db: Database): Stores {
  return {
    accounts: new AccountStore(db, { bcryptCost: config.bcryptCost, lockout: config.lockout }),
    clients: new ClientStore(db),
    serviceKeys: new ServiceKeyStore(db),
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

export async function startServer(
  config: Config,
  options: StartOptions = {},
): Promise<RunningServer & { seeded: boolean }> {
  const services = await openServices(config, options);
  const { db, logger } = services;
  try {
    const seeded = await seedDemoIfEmpty(services);
    await services.keys.ensure();
    const keys = await services.keys.load();
    const provider = createProvider(
      config,
      { db, accounts: services.accounts, clients: services.clients, keys, logger },
      createProviderExtensions(services),
    );
    registerGrants(provider, { accounts: services.accounts });
    const app = createApp(config, {
      db,
      provider,
      logger,
      cookieKeys: keys.cookieKeys,
      routers: createRouters(services, provider),
    });

    const server = http.createServer(app.callback());
    // Keep-alive sockets must not hold a graceful shutdown open for long.
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`;

    const purgeTimer = startPurgeTimer(services);
    let closing: Promise<void> | undefined;
    return {
      url,
      server,
      provider,
      services,
      seeded,
      close() {
        closing ??= (async () => {
          if (purgeTimer) clearInterval(purgeTimer);
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
