/**
 * A server's owner process for DATA_DIR (owner-main.ts): forked at open, it takes the lock, opens the
 * files and serves them on the socket, and the server reaches them through that socket as any other
 * process does. PGlite runs every statement on the thread that opened it; in the server's own
 * process it would share one core with every request's JavaScript, while in a process of its own it
 * runs beside them (docs/performance.md has the figures: 1.4 to 2 times the requests per second).
 *
 * The two live and end together: closing stops the owner and waits for its exit (its lock released
 * by then); an owner that ends while the server runs is reported through `onOwnerLost`, because the
 * server cannot answer without it; a server that ends, however it ends, closes the owner's IPC
 * channel, and the owner closes the files on that.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../config';
import type { EmbeddedConnection, OpenEmbeddedOptions, SocketConnection } from './connection';

/** What the owner process tells its server. */
export type OwnerMessage =
  | { type: 'ready'; owned: boolean; connection: SocketConnection }
  | { type: 'failed'; name: string; message: string };

/** What a server tells its owner process. */
export type NodeMessage = { type: 'stop' };

/**
 * The owner's script, compiled: beside this file when it runs from dist/, or in dist/ when this file
 * runs from its TypeScript source (the tests), so a build is needed before either.
 */
function ownerScript(): string {
  const beside = path.join(__dirname, 'owner-main.js');
  if (fs.existsSync(beside)) return beside;
  const built = path.resolve(__dirname, '..', '..', '..', 'dist', 'db', 'embedded', 'owner-main.js');
  if (fs.existsSync(built)) return built;
  throw new Error(`the embedded database's owner process is not built (${built}): run \`npm run build\``);
}

function exitReason(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exited with code ${code}`;
}

/** Waits for the owner's first word: its socket, or why it could not open DATA_DIR. */
function ready(child: ChildProcess): Promise<Extract<OwnerMessage, { type: 'ready' }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: OwnerMessage) => {
      done();
      if (message.type === 'ready') return resolve(message);
      // A refusal of DATA_DIR (in use, world-writable) is the operator's to fix, as when opened here.
      reject(message.name === 'ConfigError' ? new ConfigError(message.message) : new Error(message.message));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      done();
      reject(
        new Error(`the embedded database's owner process ${exitReason(code, signal)} before it was ready`),
      );
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    const done = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

export async function forkOwner(dataDir: string, options: OpenEmbeddedOptions): Promise<EmbeddedConnection> {
  const child = fork(ownerScript(), [dataDir], {
    // The server's flags (a test runner's, an inspector's) are not the owner's.
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let answer: Extract<OwnerMessage, { type: 'ready' }>;
  try {
    answer = await ready(child);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
  if (!answer.owned) {
    // Another server already serves DATA_DIR: its socket is the way in, and this owner has ended.
    await exited;
    return { kind: 'socket', connection: answer.connection, owned: false, close: async () => undefined };
  }
  let closing = false;
  child.once('exit', (code, signal) => {
    if (closing) return;
    options.onOwnerLost?.(
      new Error(`the embedded database's owner process (pid ${child.pid}) ${exitReason(code, signal)}`),
    );
  });
  // The owner must not keep this process alive, nor this process wait for it, except in close().
  child.unref();
  child.channel?.unref();
  return {
    kind: 'socket',
    connection: answer.connection,
    owned: true,
    async close() {
      closing = true;
      if (child.exitCode === null && child.signalCode === null && child.connected) {
        // Held open until the owner has exited, so that its lock is released before this one ends.
        child.ref();
        const message: NodeMessage = { type: 'stop' };
        child.send(message, (err) => {
          if (err) child.kill('SIGTERM');
        });
      }
      await exited;
    },
  };
}
