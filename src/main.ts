/**
 * `npm start`: configuration -> node (node.ts: database, stores, provider, HTTP) -> signals.
 * SIGTERM and SIGINT stop accepting connections, let in-flight requests finish and close the node,
 * within SHUTDOWN_TIMEOUT seconds (exit 0); past it the requests left are cut (exit 1). A bad
 * configuration exits 2, a failed start 1, and so does the loss of an embedded database's process.
 */
import dotenv from 'dotenv';
import { ConfigError, loadConfig, type Config } from './config';
import { startNode } from './node';

function banner(config: Config, url: string, seeded: boolean): string {
  const issuer = config.issuer;
  const lines = [
    `Gatehouse is listening on ${url}`,
    `  issuer:    ${issuer}`,
    `  discovery: ${issuer}/.well-known/openid-configuration`,
    `  database:  ${config.database.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite (${config.database.dataDir ?? 'in memory'})`}`,
  ];
  if (seeded || config.seedDemo) {
    lines.push(
      '',
      'Try it (demo data):',
      `  curl -s ${issuer}/.well-known/openid-configuration`,
      `  curl -s -u demo-service:demo-service-secret -d grant_type=client_credentials ${issuer}/token`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`gatehouse: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  // Set once the node runs: until then there is no logger to report to.
  const node: { running?: Awaited<ReturnType<typeof startNode>> } = {};
  const running = await startNode(config, {
    // A node on a DATA_DIR whose database process has ended cannot answer anything: it exits, and
    // its supervisor starts it again (the new owner takes the dead one's lock over).
    onOwnerLost(err) {
      if (node.running) node.running.services.logger.fatal({ err }, 'the embedded database is gone; exiting');
      else console.error(`gatehouse: ${err.message}; exiting`);
      process.exit(1);
    },
  });
  node.running = running;
  const { logger } = running.services;
  if (running.seeded) logger.info('seeded the demo data into an empty database');
  console.log(banner(config, running.url, running.seeded));

  let stopping = false;
  function stop(signal: NodeJS.Signals): void {
    // A second signal changes nothing: the deadline below already bounds the shutdown.
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    const timeoutSeconds = config.shutdownTimeoutSeconds;
    // Called first, in this turn: the listener closes and /readyz answers 503 before anything else.
    const closed = running.close();
    logger.info({ signal, requestsInFlight: running.requestsInFlight }, 'shutting down');
    const deadline = setTimeout(function cutShutdownShort() {
      const cut = running.abort();
      const requests = cut === 1 ? 'request' : 'requests';
      logger.error(
        { requestsInFlight: cut },
        `shutdown timed out after ${timeoutSeconds} s with ${cut} ${requests} still running; exiting`,
      );
      process.exit(1);
    }, timeoutSeconds * 1000);
    // Only a bound: it must not be what keeps the process alive.
    deadline.unref();
    closed.then(
      () => {
        logger.info({ ms: Date.now() - started }, 'shut down');
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  }
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error(`gatehouse: failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
