/**
 * The one composition root: builds a Gatehouse node and owns the lifetime of everything in it.
 *
 * - Built once, for the life of the node: the database (migrated, the demo data on a first start),
 *   the stores, the client-change listener, the OTP delivery (an SMTP transport), the page renderer,
 *   the routers that need no provider, the HTTP server, the metrics (and their METRICS_PORT
 *   server), and the jobs (purge, key refresh, the metrics sampler).
 * - Built per key material: the provider (its configuration, grants and middleware, oidc/provider.ts),
 *   the routers that call it, and the Koa host around it. A key rotation replaces those and nothing
 *   else; requests already running finish on the provider they started with.
 * - close() closes all of it, each part after what still uses it.
 *
 * main.ts, the tests and the benchmark all start their nodes here.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Router from '@koa/router';
import type { Provider } from 'oidc-provider';
import { createOtpDelivery, type OtpDelivery } from './accounts/delivery';
import { createApiCorsRouter } from './api/cors';
import { createIntegratorRouter } from './api/integrator';
import { createApiRouters } from './api/router';
import { createApp } from './app';
import { listenForClientChanges, type ClientChangeListener } from './clients/notifications';
import type { Config } from './config';
import type { DatabaseOptions } from './db/database';
import { ConnectionDrain, type ShutdownState } from './http/drain';
import { metricsRouter } from './http/metrics-route';
import { startMetricsServer, type MetricsServer } from './http/metrics-server';
import {
  accountPageGuard,
  accountRouter,
  consoleRouter,
  createPages,
  deviceLimitRouter,
  interactionConfiguration,
  interactionRouter,
  notFoundPage,
  passkeyRouter,
  recoveryRouter,
  registrationRouter,
  type Pages,
} from './interactions';
import { startBackchannelLogoutJob } from './jobs/backchannel-logout';
import { startKeyRefreshJob } from './jobs/key-refresh';
import { startMetricsSampler } from './jobs/metrics-sampler';
import { startPurgeJob } from './jobs/purge';
import { startWebhookJob } from './jobs/webhooks';
import type { Logger } from './log';
import { NodeMetrics } from './metrics/registry';
import { authorizationPostRouter } from './oidc/authorization-post';
import { createProvider } from './oidc/provider';
import {
  createLinkServices,
  openServices,
  seedDemoIfEmpty,
  type LinkServices,
  type Services,
} from './services';

export interface RunningNode {
  url: string;
  server: http.Server;
  /** The provider of the current key material: it changes when refreshKeys rebuilds it. */
  readonly provider: Provider;
  services: Services;
  /** Whether this start seeded the demo data into an empty database. */
  seeded: boolean;
  /** The one delivery of one-time codes, for the life of the node (a key rotation keeps it). */
  delivery: OtpDelivery;
  /** The reset, verification, sign-up and invitation links, sent through the delivery. */
  links: LinkServices;
  /** The node's Prometheus metrics (GET /metrics with METRICS_TOKEN, or on METRICS_PORT). */
  metrics: NodeMetrics;
  /** http://127.0.0.1:<port> of the METRICS_PORT server, when it runs. */
  metricsUrl: string | null;
  /** Checks the database for rotated keys now and rebuilds the provider if they changed. */
  refreshKeys(): Promise<boolean>;
  /**
   * Stops accepting connections, answers the requests in flight and whatever arrives on open
   * connections with `Connection: close`, closes idle connections after a short grace period, waits
   * for the jobs' work, then closes the client-change listener, the delivery and the database. Has no
   * deadline of its own: see `abort`.
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

/** What a node builds once and every provider it builds shares. */
interface NodeParts {
  services: Services;
  delivery: OtpDelivery;
  /** A forgotten password, a changed address, a sign-up, an invitation: links through the delivery. */
  links: LinkServices;
  pages: Pages;
  shutdown: ShutdownState;
  /** The routers that need no provider: the authorization POST and the CORS of /api. */
  authorizationPost: Router;
  apiCors: Router;
  /** One per node: every provider it builds counts into the same registry. */
  metrics: NodeMetrics;
  /** GET /metrics on the main port: only with METRICS_TOKEN. */
  metricsRoute: Router | null;
}

/** The routers mounted in front of the provider, in order. */
function hostRouters(parts: NodeParts, provider: Provider): Router[] {
  const { services, delivery, pages } = parts;
  const { passwordReset, emailVerification, registration } = parts.links;
  const { config, logger } = services;
  // RATE_LIMIT_DEVICE_CODE: user-code posts to the provider's /device, counted before it reads them.
  const device = deviceLimitRouter({
    path: provider.pathFor('code_verification'),
    pages,
    logger,
    rateLimits: services.rateLimits,
    proxy: config.proxy,
  });
  // The login, consent and logout pages come first: nothing else answers under /interaction.
  const interactions = interactionRouter({
    provider,
    accounts: services.accounts,
    consents: services.consents,
    pages,
    logger,
    rateLimits: services.rateLimits,
    proxy: config.proxy,
    mfa: services.mfa,
    mfaRequiredRoles: config.mfa.requiredRoles,
    signUpOpen: config.registration === 'open',
    resourceServers: services.resourceServers,
  });
  // /account and /account/mfa, signed in through the provider as its own client gatehouse-account.
  const accountSession = { provider, accounts: services.accounts, secretKey: config.secretKey };
  const account = accountRouter({
    ...accountSession,
    issuer: config.issuer,
    stateTtlSeconds: config.ttl.interaction,
    mfa: services.mfa,
    consents: services.consents,
    sessions: services.sessions,
    clients: services.clients,
    emailVerification,
    pages,
    logger,
    rateLimits: services.rateLimits,
    proxy: config.proxy,
  });
  // Passkeys: the ceremonies of the login (under /interaction), of /account/mfa, and their scripts.
  const passkeys = passkeyRouter({
    accountPages: accountPageGuard(accountSession),
    provider,
    passkeys: services.passkeys,
    accounts: services.accounts,
    pages,
    logger,
    rateLimits: services.rateLimits,
    proxy: config.proxy,
    secretKey: config.secretKey,
  });
  // /account/forgot, /account/reset, /account/verify: no sign-in, the links' tokens are the proof.
  const recovery = recoveryRouter({
    passwordReset,
    emailVerification,
    passwordPolicy: services.accounts.passwordPolicy,
    resetTtlSeconds: config.links.passwordResetTtlSeconds,
    pages,
    logger,
    rateLimits: services.rateLimits,
    proxy: config.proxy,
  });
  // /account/register (REGISTRATION=open) and /account/invitation: the links' tokens are the proof.
  const signUp = registrationRouter({
    mode: config.registration,
    registration,
    passwordPolicy: services.accounts.passwordPolicy,
    signUpLinkTtlSeconds: config.links.emailVerificationTtlSeconds,
    pages,
    logger,
    rateLimits: services.rateLimits,
    proxy: config.proxy,
  });
  // The integrator routes (/api/request-otp, /api/token/*) come before any catch-all /api router.
  const integrator = createIntegratorRouter({
    provider,
    otps: services.otps,
    delivery,
    serviceKeys: services.serviceKeys,
    clients: services.clients,
    logger,
    otpTtlSeconds: config.otp.ttlSeconds,
    bodyLimitBytes: config.api.bodyLimitBytes,
    rateLimits: services.rateLimits,
    proxy: config.proxy,
  });
  // /admin (ADMIN_CONSOLE), signed in through the provider as its own client gatehouse-admin.
  const adminConsole = config.console.enabled
    ? [
        consoleRouter({
          provider,
          accounts: services.accounts,
          db: services.db,
          issuer: config.issuer,
          secretKey: config.secretKey,
          sessionTtlSeconds: config.console.sessionTtlSeconds,
          stateTtlSeconds: config.ttl.interaction,
          mfaRequiredRoles: config.mfa.requiredRoles,
          pages,
          logger,
        }),
      ]
    : [];
  return [
    // POST at the authorization endpoint (OpenID Connect Core §3.1.2.1) becomes the same GET.
    parts.authorizationPost,
    // CORS for all of /api first; the sidecar API (with its /api catch-all 404) after the integrator.
    parts.apiCors,
    interactions,
    device,
    passkeys,
    account,
    ...adminConsole,
    recovery,
    signUp,
    integrator,
    ...createApiRouters({ ...services, passwordReset, emailVerification, registration }, provider),
  ];
}

/** What `grant.success` hands its listeners: the token request's context. */
interface TokenContext {
  oidc?: { params?: { grant_type?: unknown }; client?: { clientId: string } };
}

/** The provider and the request handler of the current key material: what a rotation replaces. */
async function bindProvider(
  parts: NodeParts,
): Promise<{ provider: Provider; handler: http.RequestListener }> {
  const { services, pages } = parts;
  const { config, db, logger } = services;
  const keys = await services.keys.load();
  const provider = createProvider(
    config,
    {
      db,
      accounts: services.accounts,
      clients: services.clients,
      otps: services.otps,
      mfa: services.mfa,
      keys,
      logger,
      rateLimits: services.rateLimits,
      resourceServers: services.resourceServers,
    },
    {
      // Error, logout and signed-out pages, first-party consent, ui_locales_supported.
      configuration: interactionConfiguration({
        accounts: services.accounts,
        consents: services.consents,
        pages,
        issuer: config.issuer,
        console: config.console.enabled,
      }),
      // Unknown routes fall through the host to the provider, which would answer a bare 404.
      notFound: notFoundPage(pages),
    },
  );
  // A successful token response, by grant and client (oidc-provider's `grant.success`, emitted once
  // per token endpoint success). A new provider gets its one listener; the old one goes with it.
  provider.on('grant.success', function countTokenIssued(ctx: TokenContext) {
    const grantType = ctx.oidc?.params?.grant_type;
    if (typeof grantType === 'string')
      parts.metrics.tokenIssued(grantType, ctx.oidc?.client?.clientId ?? 'none');
  });
  const app = createApp(config, {
    db,
    provider,
    logger,
    cookieKeys: keys.cookieKeys,
    routers: [...(parts.metricsRoute ? [parts.metricsRoute] : []), ...hostRouters(parts, provider)],
    shutdown: parts.shutdown,
    metrics: parts.metrics,
  });
  return { provider, handler: app.callback() };
}

async function listen(server: http.Server, config: Config): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `http://${host}:${port}`;
}

export async function startNode(config: Config, options: StartOptions = {}): Promise<RunningNode> {
  const services = await openServices(config, options);
  const { db, logger } = services;
  let clientChanges: ClientChangeListener | undefined;
  let delivery: OtpDelivery | undefined;
  let metricsServer: MetricsServer | undefined;
  try {
    const seeded = await seedDemoIfEmpty(services);
    clientChanges = await listenForClientChanges(
      db,
      [services.clients.cache, services.resourceServers.cache],
      logger,
    );
    await services.keys.ensure();
    let keysVersion = await services.keys.version();
    delivery = createOtpDelivery(config.otp, logger);
    // A grace period well inside the shutdown timeout, so idle connections never hold the exit.
    const drain = new ConnectionDrain({
      idleGraceMs: Math.min(1000, (config.shutdownTimeoutSeconds * 1000) / 4),
    });
    const metrics = new NodeMetrics();
    metrics.watchPool(db);
    const parts: NodeParts = {
      services,
      delivery,
      links: createLinkServices(services, delivery),
      pages: createPages(),
      shutdown: drain,
      authorizationPost: authorizationPostRouter(),
      apiCors: createApiCorsRouter(config.api.corsOrigins),
      metrics,
      metricsRoute: config.metrics.token ? metricsRouter(metrics, config.metrics.token) : null,
    };
    let current = await bindProvider(parts);

    // The handler is looked up per request, so a rebuilt provider takes over without a restart.
    const server = http.createServer((req, res) => current.handler(req, res));
    // Keep-alive sockets must not hold a graceful shutdown open for long.
    server.keepAliveTimeout = 5000;
    drain.track(server);
    // METRICS_PORT: the same text without a token, on the loopback address only. Before the main
    // port, so a taken METRICS_PORT fails the start with nothing else listening yet.
    if (config.metrics.port !== null) metricsServer = await startMetricsServer(metrics, config.metrics.port);
    const url = await listen(server, config);

    /** Rebuilds the provider when another node (or the CLI) rotated or retired keys. */
    async function refreshKeys(): Promise<boolean> {
      await services.keys.retireExpired();
      const version = await services.keys.version();
      if (version === keysVersion) return false;
      current = await bindProvider(parts);
      keysVersion = version;
      logger.info('signing keys changed; provider rebuilt');
      return true;
    }

    const jobs = [
      // oidc_payloads rows and key ages: queries, so sampled on a timer, never per scrape.
      startMetricsSampler({ db, metrics, logger }),
      startPurgeJob({
        db,
        logger,
        intervalSeconds: config.purgeIntervalSeconds,
        auditRetentionDays: config.audit.retentionDays,
        metrics,
      }),
      startKeyRefreshJob({
        refresh: refreshKeys,
        logger,
        intervalSeconds: config.keysRefreshIntervalSeconds,
      }),
      // Back-channel logout tokens from the outbox; stopping waits for the deliveries in flight.
      startBackchannelLogoutJob({
        db,
        logger,
        provider: () => current.provider,
        timeoutMs: config.backchannelLogout.timeoutMs,
        retries: config.backchannelLogout.retries,
      }),
      // Event webhooks from the outbox (Standard Webhooks); stopping waits for the deliveries in flight.
      startWebhookJob({
        db,
        logger,
        secretKey: config.secretKey,
        timeoutMs: config.webhooks.timeoutMs,
        retries: config.webhooks.retries,
        metrics,
      }),
    ];
    let closing: Promise<void> | undefined;
    return {
      url,
      server,
      get provider() {
        return current.provider;
      },
      services,
      seeded,
      delivery: parts.delivery,
      links: parts.links,
      metrics,
      metricsUrl: metricsServer?.url ?? null,
      refreshKeys,
      get requestsInFlight() {
        return drain.requestsInFlight;
      },
      abort: () => drain.destroy(),
      close() {
        closing ??= (async () => {
          // Both in the caller's turn: the timers stop and the listener closes before anything else.
          const jobsStopped = Promise.all(jobs.map((job) => job.stop()));
          const metricsClosed = metricsServer?.close();
          await drain.drain();
          await metricsClosed;
          // What a tick is still doing finishes before the pool closes.
          await jobsStopped;
          // The links requests started (sent after their answers) go out before the delivery closes.
          await parts.links.settled();
          // Only now: the requests of the drain still had a correct client cache and the delivery.
          await clientChanges?.close();
          parts.delivery.close();
          await db.destroy();
        })();
        return closing;
      },
    };
  } catch (err) {
    await metricsServer?.close();
    await clientChanges?.close();
    delivery?.close();
    await db.destroy();
    throw err;
  }
}
