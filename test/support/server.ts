/**
 * Starts a real Gatehouse node on a free port of 127.0.0.1 with a fresh database, for black-box
 * HTTP tests. The issuer is the node's own URL, so relying-party libraries see a consistent issuer.
 */
import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config';
import { REDACT_PATHS, type Logger } from '../../src/log';
import { startNode, type RunningNode } from '../../src/node';
import { createTestDatabase, type TestDatabase } from './database';

export interface TestServer extends RunningNode {
  issuer: string;
  config: Config;
  database: TestDatabase;
  /** Stops the node and drops its database. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** The environment of a test node; `extra` overrides anything. */
export function testEnv(
  port: number,
  database: TestDatabase,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    ISSUER: `http://127.0.0.1:${port}`,
    BCRYPT_COST: '4',
    LOG_LEVEL: 'silent',
    PURGE_INTERVAL: '0',
    KEYS_REFRESH_INTERVAL: '0',
    // A stopping test node closes its idle connections after half a second instead of one.
    SHUTDOWN_TIMEOUT: '2',
    ...database.env,
    ...extra,
  };
}

export async function startTestServer(
  options: {
    env?: Record<string, string>;
    database?: TestDatabase;
    persistent?: boolean;
    port?: number;
    /** Where the node logs (the node builds its own from LOG_LEVEL without one). */
    logger?: Logger;
  } = {},
): Promise<TestServer> {
  const database =
    options.database ?? (await createTestDatabase({ persistent: options.persistent ?? false }));
  const port = options.port ?? (await freePort());
  const config = loadConfig(testEnv(port, database, options.env));
  const running = await startNode(config, options.logger ? { logger: options.logger } : {});
  // Object.assign, not a spread: `provider` is a getter that follows key rotation.
  return Object.assign(running, {
    issuer: config.issuer,
    config,
    database,
    async stop() {
      await running.close();
      if (!options.database) await database.drop();
    },
  });
}

export interface LoggedNode extends TestServer {
  /** Every log line the node wrote, parsed. */
  logs: Record<string, unknown>[];
}

/** A test node whose logger writes into `logs`, at level info, with the production redaction. */
export async function startLoggedNode(env: Record<string, string> = {}): Promise<LoggedNode> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const logger = pino({ level: 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
  const node = await startTestServer({ env: { LOG_LEVEL: 'info', ...env }, logger });
  return Object.assign(node, { logs });
}

/**
 * Two nodes on one fresh database, started one after the other (the first migrates and seeds) in a
 * beforeAll of the calling describe, and stopped with the database in its afterAll. The nodes are
 * read from the returned object inside the tests.
 */
export function useTwoNodes(env: Record<string, string> = {}): { a: TestServer; b: TestServer } {
  const nodes = {} as { a: TestServer; b: TestServer };
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
    nodes.a = await startTestServer({ database, env });
    nodes.b = await startTestServer({ database, env });
  });
  afterAll(async () => {
    await Promise.all([nodes.a?.close(), nodes.b?.close()]);
    await database?.drop();
  });
  return nodes;
}
