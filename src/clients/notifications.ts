/**
 * Keeps a node's client cache honest across processes: one connection LISTENs on CLIENTS_CHANNEL and
 * drops the entry of every client another process changed. While that connection is down the cache
 * is off (every look-up reads the database), and it reconnects with a backoff.
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
import { CLIENTS_CHANNEL, type ClientCache } from './cache';

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
  cache: ClientCache,
  logger: Logger,
): Promise<ClientChangeListener> {
  const target = listenTarget(db);
  if (!target) {
    cache.setEnabled(true);
    return { close: async () => cache.setEnabled(false) };
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
      if (message.channel === CLIENTS_CHANNEL && message.payload) cache.invalidate(message.payload);
    });
    connection.on('error', (err) => {
      logger.warn({ err }, 'client change notifications lost; reading clients from the database');
      cache.setEnabled(false);
      connection.end().catch(() => undefined);
      scheduleReconnect();
    });
    try {
      await connection.connect();
      await connection.query(`listen ${CLIENTS_CHANNEL}`);
      if (closed) {
        await connection.end();
        return;
      }
      client = connection;
      delayMs = 500;
      // Only now can another process's write be heard; whatever was cached before is forgotten.
      cache.setEnabled(true);
    } catch (err) {
      logger.warn({ err }, 'cannot listen for client changes; reading clients from the database');
      cache.setEnabled(false);
      connection.end().catch(() => undefined);
      scheduleReconnect();
    }
  }

  await connect();
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      cache.setEnabled(false);
      await client?.end().catch(() => undefined);
    },
  };
}
