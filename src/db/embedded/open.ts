/**
 * Opens the embedded database under DATA_DIR so that only one process ever has its files open.
 *
 * - No owner: this process takes the lock and opens the files. A server then serves them on a unix
 *   socket (socket-server.ts) and talks to them through that socket with `pg` like every other
 *   process, so that all of them share one code path and hear one another's NOTIFYs; a command (CLI,
 *   knex) keeps them to itself for its run and uses PGlite directly.
 * - A server owns them: connect to its socket with `pg`, as to any PostgreSQL.
 * - A command owns them (or a server is still starting): wait for it, then try again.
 */
import os from 'node:os';
import { Client } from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import { ConfigError } from '../../config';
import { openEmbeddedDatabase, prepareDataDir } from '../data-dir';
import { tryLock, type HeldLock, type LockContent, type ServedAt } from './lock';
import { serveDatabase } from './socket-server';

export type EmbeddedRole = LockContent['role'];

/** pg's settings for an owner's socket: the socket's folder as host; PGlite has one user and database. */
export interface SocketConnection {
  host: string;
  port: number;
  user: string;
  database: string;
}

export type EmbeddedConnection =
  /** Through the owner's socket (this process's own when it is a server owner). */
  | { kind: 'socket'; connection: SocketConnection; close(): Promise<void> }
  /** The files opened here, for one command's run. */
  | { kind: 'pglite'; pglite: PGlite; close(): Promise<void> };

export interface OpenEmbeddedOptions {
  role: EmbeddedRole;
  /** How long to wait for another process that holds the files without serving them. */
  waitMs?: number;
}

export function socketConnection(served: ServedAt): SocketConnection {
  return { host: served.host, port: served.port, user: 'postgres', database: 'postgres' };
}

/** True when the owner's socket answers (an owner shutting down may still have its lock). */
async function answers(connection: SocketConnection): Promise<boolean> {
  const client = new Client({ ...connection, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function own(dataDir: string, role: EmbeddedRole, lock: HeldLock): Promise<EmbeddedConnection> {
  // A command run ends with process.exit in the knex CLI: the lock must not outlive it.
  const releaseOnExit = () => lock.release();
  process.once('exit', releaseOnExit);
  const release = () => {
    process.off('exit', releaseOnExit);
    lock.release();
  };
  let pglite: PGlite | undefined;
  try {
    pglite = openEmbeddedDatabase(dataDir);
    await pglite.waitReady;
    if (role === 'command') return { kind: 'pglite', pglite, close: async () => release() };
    const server = await serveDatabase(pglite, dataDir);
    const content: LockContent = {
      pid: process.pid,
      hostname: os.hostname(),
      role,
      startedAt: new Date().toISOString(),
      served: server.served,
    };
    lock.update(content);
    const opened = pglite;
    return {
      kind: 'socket',
      connection: socketConnection(server.served),
      async close() {
        await server.close();
        await opened.close();
        release();
      },
    };
  } catch (err) {
    await pglite?.close().catch(() => undefined);
    release();
    throw err;
  }
}

export async function openEmbedded(
  dataDir: string,
  options: OpenEmbeddedOptions,
): Promise<EmbeddedConnection> {
  // Refuses a world-writable DATA_DIR and creates it before a lock is written into it.
  prepareDataDir(dataDir);
  const deadline = Date.now() + (options.waitMs ?? 30_000);
  for (;;) {
    const attempt = tryLock(dataDir, options.role);
    if ('held' in attempt) return own(dataDir, options.role, attempt.held);
    const { owner } = attempt;
    if (owner.role === 'server' && owner.served) {
      const connection = socketConnection(owner.served);
      if (await answers(connection)) return { kind: 'socket', connection, close: async () => undefined };
    }
    if (Date.now() > deadline)
      throw new ConfigError(
        `DATA_DIR: ${dataDir} is in use by process ${owner.pid} (${owner.role}` +
          `${owner.startedAt ? `, since ${owner.startedAt}` : ''}), which does not serve it; ` +
          `the embedded database has one owner: wait for that process to end, or stop it`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
