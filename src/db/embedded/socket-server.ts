/**
 * Serves one PGlite instance over the PostgreSQL wire protocol on a unix socket, so that other
 * processes (the CLI, knex, psql, a second node) use the embedded database as any PostgreSQL,
 * with `pg`, while only the owner opens its files. pglite-socket's PGLiteSocketHandler does the
 * framing (startup, SSL refusal, cancel requests) of each connection; which connection may run
 * next is decided by SessionQueue, which keeps an extended-protocol exchange or a transaction of
 * one connection from mixing with another's.
 *
 * There is no authentication, as with PostgreSQL's `trust`: the socket lives in a folder only the
 * owner's user can enter (DATA_DIR is 0700, or a private temporary folder), which is the guard.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler, type PGLiteSocketHandlerOptions } from '@electric-sql/pglite-socket';
import type { ServedAt } from './lock';
import { SessionQueue } from './session-queue';

/** The port in the socket's name, `.s.PGSQL.<port>`; nothing listens on TCP. */
export const SOCKET_PORT = 5432;
/** sockaddr_un holds 108 bytes on Linux, 104 on macOS, the terminating NUL included. */
const MAX_SOCKET_PATH = 103;

export interface SocketServer {
  served: ServedAt;
  close(): Promise<void>;
}

/**
 * The folder for the socket: DATA_DIR itself when the path fits in a socket address, else a fresh
 * private folder under the system's temporary folder (recorded in the lock like any other).
 */
function socketFolder(dataDir: string): { host: string; temporary: boolean } {
  if (path.join(dataDir, `.s.PGSQL.${SOCKET_PORT}`).length <= MAX_SOCKET_PATH)
    return { host: dataDir, temporary: false };
  return { host: fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-')), temporary: true };
}

export async function serveDatabase(db: PGlite, dataDir: string): Promise<SocketServer> {
  const { host, temporary } = socketFolder(dataDir);
  const socketPath = path.join(host, `.s.PGSQL.${SOCKET_PORT}`);
  // A socket file left by an owner that died: the lock (taken before this) says nobody serves it.
  fs.rmSync(socketPath, { force: true });

  /** Every open connection, attached or not: closing destroys them all, so none keeps the server up. */
  const sockets = new Set<net.Socket>();
  /** The attached connections by handler, which hear one another's notifications. */
  const attached = new Map<number, net.Socket>();
  const handlers = new Set<PGLiteSocketHandler>();
  let closing = false;
  const queue = new SessionQueue(db, {
    broadcast(from, message) {
      for (const [id, socket] of attached) if (id !== from && socket.writable) socket.write(message);
    },
  });
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (closing) {
      socket.destroy();
      return;
    }
    const handler = new PGLiteSocketHandler({
      // SessionQueue has the methods the handler calls; its declared type is a class of the library's
      // own that is not exported.
      queryQueue: queue as unknown as PGLiteSocketHandlerOptions['queryQueue'],
      closeOnDetach: true,
    });
    handlers.add(handler);
    attached.set(handler.handlerId, socket);
    const forget = () => {
      handlers.delete(handler);
      attached.delete(handler.handlerId);
    };
    handler.addEventListener('close', forget);
    // The handler detaches itself on an error, which removes its listeners (its 'error' one too) but
    // leaves the socket open when it is no longer writable: destroyed here, it can raise no error
    // that nobody hears, and nothing more was going to be read from it.
    handler.addEventListener('error', () => {
      forget();
      socket.destroy();
    });
    handler.attach(socket).catch(() => {
      forget();
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  fs.chmodSync(socketPath, 0o600);

  return {
    served: { host, port: SOCKET_PORT },
    async close() {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Detaching rolls back a transaction a connection still holds, while PGlite is open.
      await Promise.all([...handlers].map((handler) => handler.detach(true)));
      handlers.clear();
      attached.clear();
      // detach closes only writable sockets; server.close waits for every one.
      for (const socket of sockets) socket.destroy();
      await closed;
      if (temporary) fs.rmSync(host, { recursive: true, force: true });
      else fs.rmSync(socketPath, { force: true });
    },
  };
}
