/**
 * Keeps a node's client cache honest across processes: on PostgreSQL, one connection LISTENs on
 * CLIENTS_CHANNEL and drops the entry of every client another process changed. While that connection
 * is down the cache is off (every look-up reads the database), and it reconnects with a backoff.
 * The embedded database is single-process: every write is this process's own, so the cache is on.
 */
import { Client } from 'pg';
import type { DatabaseConfig } from '../config';
import type { Logger } from '../log';
import { CLIENTS_CHANNEL, type ClientCache } from './cache';

export interface ClientChangeListener {
  close(): Promise<void>;
}

export async function listenForClientChanges(
  database: DatabaseConfig,
  cache: ClientCache,
  logger: Logger,
): Promise<ClientChangeListener> {
  if (database.kind === 'embedded') {
    cache.setEnabled(true);
    return { close: async () => cache.setEnabled(false) };
  }

  const url = database.url;
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
    const connection = new Client({ connectionString: url });
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
