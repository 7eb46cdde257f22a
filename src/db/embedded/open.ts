/**
 * Opens the embedded database under DATA_DIR so that only one process ever has its files open.
 *
 * - No owner: a server forks its owner process (owner-process.ts), which takes the lock, opens the
 *   files and serves them on a unix socket (socket-server.ts); the server talks to them through that
 *   socket with `pg` like every other process, so that all of them share one code path and hear one
 *   another's NOTIFYs, and PGlite has a core of its own. A command (CLI, knex) takes the lock itself
 *   and keeps the files to itself for its run, using PGlite directly.
 * - A server owns them: connect to its socket with `pg`, as to any PostgreSQL.
 * - A command owns them (or a server is still starting): wait for it, then try again.
 */
import os from 'node:os';
import { Client } from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import { ConfigError } from '../../config';
import { openEmbeddedDatabase, prepareDataDir } from '../data-dir';
import {
  socketConnection,
  type EmbeddedConnection,
  type EmbeddedRole,
  type OpenEmbeddedOptions,
  type SocketConnection,
} from './connection';
import { tryLock, type HeldLock, type LockContent } from './lock';
import { forkOwner } from './owner-process';
import { serveDatabase } from './socket-server';

export type { EmbeddedConnection, EmbeddedRole, OpenEmbeddedOptions, SocketConnection };
export { socketConnection };

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
      owned: true,
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
  if (options.role === 'server' && !options.inProcess) return forkOwner(dataDir, options);
  const deadline = Date.now() + (options.waitMs ?? 30_000);
  for (;;) {
    const attempt = tryLock(dataDir, options.role);
    if ('held' in attempt) return own(dataDir, options.role, attempt.held);
    const { owner } = attempt;
    if (owner.role === 'server' && owner.served) {
      const connection = socketConnection(owner.served);
      if (await answers(connection))
        return { kind: 'socket', connection, owned: false, close: async () => undefined };
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
