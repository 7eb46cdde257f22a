/** What opening an embedded database hands back, shared by its opener and its owner process. */
import type { PGlite } from '@electric-sql/pglite';
import type { LockContent, ServedAt } from './lock';

export type EmbeddedRole = LockContent['role'];

/** pg's settings for an owner's socket: the socket's folder as host; PGlite has one user and database. */
export interface SocketConnection {
  host: string;
  port: number;
  user: string;
  database: string;
}

export type EmbeddedConnection =
  /** Through the owner's socket; `owned` when the files were opened for this call. */
  | { kind: 'socket'; connection: SocketConnection; owned: boolean; close(): Promise<void> }
  /** The files opened here, for one command's run. */
  | { kind: 'pglite'; pglite: PGlite; close(): Promise<void> };

export interface OpenEmbeddedOptions {
  role: EmbeddedRole;
  /** How long to wait for another process that holds the files without serving them. */
  waitMs?: number;
  /**
   * A server opens the files in this very process instead of forking an owner: what the owner
   * process itself does (owner-main.ts).
   */
  inProcess?: boolean;
  /** Called when a forked owner ends while the server still needs it (it cannot serve without it). */
  onOwnerLost?: (err: Error) => void;
}

export function socketConnection(served: ServedAt): SocketConnection {
  return { host: served.host, port: served.port, user: 'postgres', database: 'postgres' };
}
