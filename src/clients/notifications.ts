/**
 * Keeps a node's registry caches (clients, APIs) honest across processes: one connection LISTENs on
 * each store's channel and drops the entry of everything another process changed. While that
 * connection is down the caches are off (every look-up reads the database), and it reconnects with a
 * backoff.
 *
 * That holds on PostgreSQL and on an embedded database served over its owner's socket, where the
 * CLI, knex and other nodes write too: the owner's session queue hands every NotificationResponse to
 * all its connections (db/embedded/session-queue.ts). Only a PGlite this process alone opened (in
 * memory, or the files held for one command's run) goes without: every write is this process's own,
 * and the store invalidates its own writes, so the cache is simply on.
 */
import { Client, type ClientConfig } from 'pg';
import type { Database } from '../db/database';
import type { Logger } from '../log';
import type { RegistryCache } from './cache';

export interface ClientChangeListener {
  close(): Promise<void>;
}

/** Where to LISTEN: the database's own pg connection settings, or none for an in-process PGlite. */
function listenTarget(db: Database): ClientConfig | undefined {
  const { client, connection } = db.client.config as { client?: unknown; connection?: unknown };
  if (client !== 'pg') return undefined;
  return typeof connection === 'string' ? { connectionString: connection } : (connection as ClientConfig);
}

export async function listenForClientChanges(
  db: Database,
  registries: RegistryCache[],
  logger: Logger,
): Promise<ClientChangeListener> {
  // Each cache's channel: the one its store announces every write on (payload: the entry's key).
  const caches = new Map(registries.map((cache) => [cache.channel, cache]));
  const setEnabled = (enabled: boolean) => {
    for (const cache of caches.values()) cache.setEnabled(enabled);
  };
  const target = listenTarget(db);
  if (!target) {
    setEnabled(true);
    return { close: async () => setEnabled(false) };
  }

  let closed = false;
  let client: Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let delayMs = 500;

  const scheduleReconnect = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, delayMs);
    retry.unref();
    delayMs = Math.min(delayMs * 2, 30_000);
  };

  async function connect(): Promise<void> {
    const connection = new Client(target);
    connection.on('notification', (message) => {
      if (message.payload) caches.get(message.channel)?.invalidate(message.payload);
    });
    connection.on('error', (err) => {
      logger.warn({ err }, 'client change notifications lost; reading clients from the database');
      setEnabled(false);
      connection.end().catch(() => undefined);
      scheduleReconnect();
    });
    try {
      await connection.connect();
      for (const channel of caches.keys()) await connection.query(`listen ${channel}`);
      if (closed) {
        await connection.end();
        return;
      }
      client = connection;
      delayMs = 500;
      // Only now can another process's write be heard; whatever was cached before is forgotten.
      setEnabled(true);
    } catch (err) {
      logger.warn({ err }, 'cannot listen for client changes; reading clients from the database');
      setEnabled(false);
      connection.end().catch(() => undefined);
      scheduleReconnect();
    }
  }

  await connect();
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      setEnabled(false);
      await client?.end().catch(() => undefined);
    },
  };
}
