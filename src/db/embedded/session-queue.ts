/**
 * Shares the one PostgreSQL session of a PGlite instance between several wire-protocol connections.
 *
 * PGlite is a single backend: every connection's statements run in the same session, so the
 * unnamed prepared statement and portal, an open transaction block, and an error state waiting for
 * Sync are all shared. pglite-socket's own queue hands the backend back only at the end of a
 * transaction block (`IsTransactionBlock()`), which is false in the middle of an extended-protocol
 * exchange (Parse, Bind, Execute … Sync): another connection's Parse could land between one
 * connection's Parse and Execute whenever its messages arrive in two reads. So here a connection
 * keeps the backend from its first message until PGlite answers ReadyForQuery with status idle
 * ('I'): the end of a Sync or simple Query outside a transaction block. Others wait in order, a new
 * connection's startup packet included (PGlite answers it from the same session).
 *
 * The session is also why LISTEN is shared: once any connection listens, the backend does, and
 * PGlite writes each NotificationResponse into the stream of whichever connection's statement
 * committed the NOTIFY. Those messages are handed to `broadcast`, so that every connection hears
 * them as it would from PostgreSQL.
 */
import type { PGlite } from '@electric-sql/pglite';

/** The wire-protocol messages whose answer this queue reads: ReadyForQuery and NotificationResponse. */
const READY_FOR_QUERY = 0x5a; // 'Z'
const NOTIFICATION = 0x41; // 'A'
const TERMINATE = 0x58; // 'X'
const IDLE = 0x49; // 'I'
/** A Sync message: ends whatever extended-protocol exchange a vanished connection left open. */
const SYNC = new Uint8Array([0x53, 0, 0, 0, 4]);
/** A simple Query `rollback`: ends the transaction block a vanished connection left open. */
const ROLLBACK = (() => {
  const sql = Buffer.from('rollback\0');
  const message = Buffer.alloc(5 + sql.length);
  message[0] = 0x51; // 'Q'
  message.writeInt32BE(4 + sql.length, 1);
  sql.copy(message, 5);
  return new Uint8Array(message);
})();

interface Job {
  handlerId: number;
  /** A message from the connection, or `release`: its connection is gone, give the session back. */
  message: Uint8Array | 'release';
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (err: Error) => void;
}

export interface SessionQueueOptions {
  /** Called with each NotificationResponse message PGlite wrote into `fromHandlerId`'s stream. */
  broadcast?: (fromHandlerId: number, message: Uint8Array) => void;
}

/** The shape pglite-socket's PGLiteSocketHandler expects of its `queryQueue`. */
export class SessionQueue {
  private readonly jobs: Job[] = [];
  /** The connection that holds the session until PGlite is idle again; null when nobody does. */
  private holder: number | null = null;
  /** The connection whose message PGlite is running now. */
  private runningFor: number | null = null;
  private running = false;

  constructor(
    private readonly db: PGlite,
    private readonly options: SessionQueueOptions = {},
  ) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.jobs.push({ handlerId, message, onData, resolve, reject });
      void this.pump();
    });
  }

  getQueueLength(): number {
    return this.jobs.length;
  }

  clearQueueForHandler(handlerId: number): void {
    for (let i = this.jobs.length - 1; i >= 0; i -= 1) {
      const job = this.jobs[i]!;
      if (job.handlerId !== handlerId || job.message === 'release') continue;
      this.jobs.splice(i, 1);
      job.reject(new Error('connection closed'));
    }
  }

  /**
   * A connection went away: if it holds the session, or PGlite is running its message now (which
   * may leave it holding), end its exchange and roll its transaction back before anyone else runs.
   * The release is a job of that connection's, so it runs in the queue's own order: after the
   * message in flight and never beside another connection's.
   */
  clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.holder !== handlerId && this.runningFor !== handlerId) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.jobs.unshift({
        handlerId,
        message: 'release',
        onData: () => undefined,
        resolve: () => resolve(),
        reject,
      });
      void this.pump();
    });
  }

  private next(): Job | undefined {
    if (this.holder === null) return this.jobs.shift();
    const i = this.jobs.findIndex((job) => job.handlerId === this.holder);
    return i === -1 ? undefined : this.jobs.splice(i, 1)[0];
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let job = this.next(); job; job = this.next()) {
        this.runningFor = job.handlerId;
        await (job.message === 'release' ? this.release(job) : this.run(job, job.message));
        this.runningFor = null;
      }
    } finally {
      this.running = false;
    }
  }

  private async release(job: Job): Promise<void> {
    try {
      await this.db.runExclusive(async () => {
        // The answers go nowhere: their connection is gone.
        await this.db.execProtocolRaw(SYNC);
        if (this.db.isInTransaction()) await this.db.execProtocolRaw(ROLLBACK);
      });
      job.resolve(0);
    } catch (err) {
      job.reject(err as Error);
    } finally {
      if (this.holder === job.handlerId) this.holder = null;
    }
  }

  private async run(job: Job, message: Uint8Array): Promise<void> {
    // Terminate would reach the one backend every connection shares: the connection's socket
    // closing is all it means here.
    if (message[0] === TERMINATE) {
      job.resolve(0);
      return;
    }
    const chunks: Uint8Array[] = [];
    try {
      // execProtocolRawStream resolves once PGlite has synced what the message wrote to its
      // filesystem; the answer (a COMMIT's CommandComplete among them) is handed on only then, so a
      // client never hears of a commit that a crash of this process could still lose.
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(message, {
          // A copy: the chunk may be a view of PGlite's memory, reused by its next output.
          onRawData: (data) => chunks.push(Uint8Array.from(data)),
        }),
      );
    } catch (err) {
      job.reject(err as Error);
      return;
    }
    const answer = Buffer.concat(chunks);
    this.holder = this.readAnswer(job.handlerId, answer) ? null : job.handlerId;
    if (answer.length > 0) job.onData(answer);
    job.resolve(answer.length);
  }

  /** Walks the messages PGlite answered with; true when the last ReadyForQuery says idle. */
  private readAnswer(handlerId: number, out: Buffer): boolean {
    let idle = false;
    for (let at = 0; at + 5 <= out.length;) {
      const type = out[at]!;
      const length = out.readInt32BE(at + 1);
      if (length < 4) break; // not a message boundary: nothing more to read safely
      const end = at + 1 + length;
      if (type === READY_FOR_QUERY) idle = out[at + 5] === IDLE;
      else if (type === NOTIFICATION) this.options.broadcast?.(handlerId, out.subarray(at, end));
      at = end;
    }
    return idle;
  }
}
