/**
 * Assembles a running Gatehouse node: database (migrated), demo seed on first start, keys, stores,
 * provider, routers, HTTP server, and the purge timer. main.ts and the tests both start nodes here.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Provider } from 'oidc-provider';
import { createApp } from './app';
import type { Config } from './config';
import type { DatabaseOptions } from './db/database';
import { ConnectionDrain, type ShutdownState } from './http/drain';
import type { Logger } from './log';
import { listenForClientChanges, type ClientChangeListener } from './clients/notifications';
import { purgeOnce } from './purge';
import { registerGrants } from './oidc/grants';
import { createProvider } from './oidc/provider';
import { createProviderExtensions, createRouters } from './routes';
import { limitClientAuthFailures } from './security/client-auth-failures';
import { openServices, seedDemoIfEmpty, type Services } from './services';

export interface RunningServer {
  url: string;
  server: http.Server;
  provider: Provider;
  services: Services;
  /** Checks the database for rotated keys now and rebuilds the provider if they changed. */
  refreshKeys(): Promise<boolean>;
  /**
   * Stops accepting connections, answers the requests in flight and whatever arrives on open
   * connections with `Connection: close`, closes idle connections after a short grace period, waits
   * for the timers' work, then closes the database. Has no deadline of its own: see `abort`.
   */
  close(): Promise<void>;
  /** Requests received and not yet answered. */
  readonly requestsInFlight: number;
  /** Destroys every connection a close() still waits for; returns how many requests that cut. */
  abort(): number;
}

export interface StartOptions extends DatabaseOptions {
  logger?: Logger;
}

/** The provider and the request handler of a node, built from the current key material. */
async function buildHandler(
  services: Services,
  shutdown: ShutdownState,
): Promise<{ provider: Provider; handler: http.RequestListener }> {
  const { config, db, logger } = services;
  const keys = await services.keys.load();
  const provider = createProvider(
    config,
    { db, accounts: services.accounts, clients: services.clients, keys, logger },
    createProviderExtensions(services),
  );
  // The first middleware Gatehouse adds to the provider: a refused source reaches none of the others.
  provider.use(
    limitClientAuthFailures({
      paths: ['token', 'introspection', 'revocation'].map((route) => provider.pathFor(route)),
      rateLimits: services.rateLimits,
      proxy: config.proxy,
    }),
  );
  registerGrants(provider, {
    accounts: services.accounts,
    otps: services.otps,
    rateLimits: services.rateLimits,
    proxy: config.proxy,
  });
  const app = createApp(config, {
    db,
    provider,
    logger,
    cookieKeys: keys.cookieKeys,
    routers: createRouters(services, provider),
    shutdown,
  });
  return { provider, handler: app.callback() };
}

export async function startServer(
  config: Config,
  options: StartOptions = {},
): Promise<RunningServer & { seeded: boolean }> {
  const services = await openServices(config, options);
  const { db, logger } = services;
  let clientChanges: ClientChangeListener | undefined;
  try {
    const seeded = await seedDemoIfEmpty(services);
    clientChanges = await listenForClientChanges(db, services.clients.cache, logger);
    await services.keys.ensure();
    let keysVersion = await services.keys.version();
    // A grace period well inside the shutdown timeout, so idle connections never hold the exit.
    const drain = new ConnectionDrain({
      idleGraceMs: Math.min(1000, (config.shutdownTimeoutSeconds * 1000) / 4),
    });
    let current = await buildHandler(services, drain);

    // The handler is looked up per request, so a rebuilt provider takes over without a restart;
    // requests already running finish on the one they started with.
    const server = http.createServer((req, res) => current.handler(req, res));
    // Keep-alive sockets must not hold a graceful shutdown open for long.
    server.keepAliveTimeout = 5000;
    drain.track(server);
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
      current = await buildHandler(services, drain);
      keysVersion = version;
      logger.info('signing keys changed; provider rebuilt');
      return true;
    }

    // What a timer tick is still doing when close() comes: it finishes before the pool closes.
    const ticks = new Set<Promise<void>>();
    const tick = (work: Promise<void>) => {
      ticks.add(work);
      void work.then(() => ticks.delete(work));
    };
    const timers = [startPurgeTimer(services, tick), startKeysTimer(services, refreshKeys, tick)].filter(
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
      get requestsInFlight() {
        return drain.requestsInFlight;
      },
      abort: () => drain.destroy(),
      close() {
        closing ??= (async () => {
          for (const timer of timers) clearInterval(timer);
          // Synchronously, in the caller's turn: the listener is closed before anything else runs.
          await drain.drain();
          await Promise.all(ticks);
          // Only now: the requests of the drain still had a correct client cache.
          await clientChanges?.close();
          await db.destroy();
        })();
        return closing;
      },
    };
  } catch (err) {
    await clientChanges?.close();
    await db.destroy();
    throw err;
  }
}

function startKeysTimer(
  services: Services,
  refresh: () => Promise<boolean>,
  tick: (work: Promise<void>) => void,
): NodeJS.Timeout | undefined {
  const seconds = services.config.keysRefreshIntervalSeconds;
  if (!seconds) return undefined;
  const timer = setInterval(() => {
    tick(
      refresh().then(
        () => undefined,
        (err) => services.logger.warn({ err }, 'key refresh failed'),
      ),
    );
  }, seconds * 1000);
  timer.unref();
  return timer;
}

function startPurgeTimer(
  services: Services,
  tick: (work: Promise<void>) => void,
): NodeJS.Timeout | undefined {
  if (!services.config.purgeIntervalSeconds) return undefined;
  const timer = setInterval(() => {
    // Bounded batches per tick; whatever is left waits for the next tick.
    tick(
      purgeOnce(services.db, { maxBatches: 20 })
        .then((deleted) => {
          if (deleted) services.logger.info({ deleted }, 'purged expired rows');
        })
        .catch((err) => services.logger.warn({ err }, 'purge failed')),
    );
  }, services.config.purgeIntervalSeconds * 1000);
  timer.unref();
  return timer;
}
