/**
 * The owner process of an embedded database: a node forks it (owner-process.ts) to open DATA_DIR's
 * files and serve them on the socket, so that PGlite, which runs one statement at a time on one
 * thread, has a core of its own instead of sharing the node's event loop with every request.
 *
 * It lives exactly as long as its node: a `stop` message or the loss of the IPC channel (the node
 * ended, however it ended) closes the socket and the files and releases the lock. Signals are left
 * to the node, which drains its requests first and then stops its owner: a Ctrl-C reaches the whole
 * process group, and closing the files under the node's last requests would fail them.
 */
import { openEmbedded, type EmbeddedConnection } from './open';
import type { OwnerMessage, NodeMessage } from './owner-process';

/** Sends, then ends this process once the message is out (or the channel is gone). */
function sendAndExit(message: OwnerMessage, code: number): void {
  const exit = () => process.exit(code);
  if (!process.connected) return exit();
  process.send!(message, undefined, {}, exit);
}

async function main(dataDir: string): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => undefined);
  let opened: EmbeddedConnection;
  try {
    opened = await openEmbedded(dataDir, { role: 'server', inProcess: true });
  } catch (err) {
    const error = err as Error;
    return sendAndExit({ type: 'failed', name: error.name, message: error.message }, 1);
  }
  if (opened.kind !== 'socket') throw new Error('a server owner serves a socket');
  // Another node already served DATA_DIR: its socket is the answer, and this process is not needed.
  const ready: OwnerMessage = { type: 'ready', owned: opened.owned, connection: opened.connection };
  if (!opened.owned) return sendAndExit(ready, 0);
  process.send!(ready);
  let closing = false;
  // The node waits for this process's exit, which comes only once the lock is released.
  const stop = () => {
    if (closing) return;
    closing = true;
    opened.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`embedded database owner: closing failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('message', (message: NodeMessage) => {
    if (message.type === 'stop') stop();
  });
  process.on('disconnect', stop);
}

const dataDir = process.argv[2];
if (!dataDir || !process.send) {
  process.stderr.write('owner-main: started by a node with DATA_DIR as its argument, over IPC\n');
  process.exit(2);
}
void main(dataDir);
