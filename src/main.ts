/**
 * `npm start`: configuration -> database (migrated, demo data on a first start) -> provider -> HTTP.
 * SIGTERM and SIGINT stop accepting connections, let in-flight requests finish and close the pool.
 */
import dotenv from 'dotenv';
import { ConfigError, loadConfig, type Config } from './config';
import { startServer } from './server';

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
  const running = await startServer(config);
  const { logger } = running.services;
  if (running.seeded) logger.info('seeded the demo data into an empty database');
  console.log(banner(config, running.url, running.seeded));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('in-flight requests did not finish in 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    running.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  console.error(`gatehouse: failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
