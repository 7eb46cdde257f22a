/**
 * Graceful drain of the HTTP server on shutdown, without resetting a request a client has sent.
 *
 * `http.Server.close()` (Node >= 19) destroys idle keep-alive connections at once. A client may be
 * writing its next request on such a connection at that very moment: it then sees ECONNRESET for a
 * request it did send, and cannot tell whether it ran. So the drain does it in this order instead:
 *
 * 1. Stop listening (net.Server's own close, which leaves open connections alone): new connections
 *    are refused, and a refused connection carries no request, so a client may retry it anywhere.
 * 2. Every response from then on, including those of requests already running, says
 *    `Connection: close` (RFC 9112 §9.6): the client knows not to reuse the connection, and Node
 *    closes it once the response is written.
 * 3. An idle connection is closed once it has been idle for a short grace period, counted from its
 *    last response. A client that is using its connection (the one that may be writing its next
 *    request right now) gets that request in first, and it is served with `Connection: close`; a
 *    connection left unused for the grace period is closed as a keep-alive timeout would close it
 *    in normal operation, only sooner.
 *
 * The drain ends when the last connection has closed.
 */
import type http from 'node:http';
import net from 'node:net';

/** What the routes need to know about a shutdown (/readyz answers 503 while draining). */
export interface ShutdownState {
  readonly draining: boolean;
}

export interface ConnectionDrainOptions {
  /** How long a connection may stay idle, during the drain, before it is closed. */
  idleGraceMs: number;
}

export class ConnectionDrain implements ShutdownState {
  #draining = false;
  #server: http.Server | undefined;
  #drained: Promise<void> | undefined;
  /** Requests whose response has not ended, per connection. */
  readonly #requests = new Map<net.Socket, number>();
  /** The response of every request in flight, to mark `Connection: close` when the drain begins. */
  readonly #responses = new Set<http.ServerResponse>();
  readonly #idleTimers = new Map<net.Socket, NodeJS.Timeout>();
  /** When each connection was last busy: opened, or its last response ended. */
  readonly #lastBusy = new Map<net.Socket, number>();

  constructor(private readonly options: ConnectionDrainOptions) {}

  get draining(): boolean {
    return this.#draining;
  }

  /** Requests received and not yet answered. */
  get requestsInFlight(): number {
    return this.#responses.size;
  }

  /** Follows the server's connections and requests; call once, before it listens. */
  track(server: http.Server): void {
    this.#server = server;
    server.on('connection', (socket: net.Socket) => this.#connected(socket));
    // Before the application's listener: a request that arrives during the drain is marked before
    // anything can write its headers.
    server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) =>
      this.#received(req.socket, res),
    );
  }

  /**
   * Stops listening at once (synchronously) and resolves when every connection has closed: the
   * requests in flight have been answered and the idle connections closed.
   */
  drain(): Promise<void> {
    this.#drained ??= new Promise<void>((resolve) => {
      const server = this.#server;
      if (!server) return resolve();
      this.#draining = true;
      // net.Server's close, not http.Server's: the latter also destroys idle connections at once.
      // Its callback runs once no connection is left.
      net.Server.prototype.close.call(server, () => resolve());
      for (const res of this.#responses) closeAfter(res);
      for (const [socket, requests] of this.#requests) if (requests === 0) this.#closeWhenIdle(socket);
    });
    return this.#drained;
  }

  /** Destroys every connection left, running requests included. Returns how many requests it cut. */
  destroy(): number {
    const cut = this.#responses.size;
    for (const socket of this.#requests.keys()) socket.destroy();
    return cut;
  }

  #connected(socket: net.Socket): void {
    this.#requests.set(socket, 0);
    this.#lastBusy.set(socket, Date.now());
    socket.once('close', () => {
      this.#requests.delete(socket);
      this.#lastBusy.delete(socket);
      clearTimeout(this.#idleTimers.get(socket));
      this.#idleTimers.delete(socket);
    });
    // Accepted in the same turn as the drain began: idle like the others.
    if (this.#draining) this.#closeWhenIdle(socket);
  }

  #received(socket: net.Socket, res: http.ServerResponse): void {
    this.#requests.set(socket, (this.#requests.get(socket) ?? 0) + 1);
    clearTimeout(this.#idleTimers.get(socket));
    this.#idleTimers.delete(socket);
    this.#responses.add(res);
    if (this.#draining) closeAfter(res);
    res.once('close', () => {
      this.#responses.delete(res);
      const requests = this.#requests.get(socket);
      if (requests === undefined) return; // the connection is gone already
      const left = requests - 1;
      this.#requests.set(socket, left);
      this.#lastBusy.set(socket, Date.now());
      // A response written before the drain began said keep-alive: the client may reuse the
      // connection, so it gets the grace period too.
      if (this.#draining && left === 0) this.#closeWhenIdle(socket);
    });
  }

  #closeWhenIdle(socket: net.Socket): void {
    if (this.#idleTimers.has(socket) || socket.destroyed) return;
    const idleMs = Date.now() - (this.#lastBusy.get(socket) ?? 0);
    if (idleMs >= this.options.idleGraceMs) {
      this.#destroyIfStillIdle(socket);
      return;
    }
    const timer = setTimeout(() => {
      this.#idleTimers.delete(socket);
      if (this.#requests.get(socket) === 0) this.#destroyIfStillIdle(socket);
    }, this.options.idleGraceMs - idleMs);
    timer.unref();
    this.#idleTimers.set(socket, timer);
  }

  /**
   * A connection that looks idle may have a request waiting in the kernel's buffer, unread because
   * the process was busy (the signal and the bytes arrived in the same stretch; a timer runs before
   * the loop polls for I/O). Two turns of the event loop later those bytes have been read and a
   * complete request parsed; a connection that read anything in between is not idle.
   */
  #destroyIfStillIdle(socket: net.Socket): void {
    const read = socket.bytesRead;
    setImmediate(() =>
      setImmediate(() => {
        if (socket.destroyed || this.#requests.get(socket) !== 0) return;
        if (socket.bytesRead === read) {
          socket.destroy();
          return;
        }
        // A request has begun arriving: it will be answered with Connection: close, or, if it
        // never completes, the connection is idle again from now.
        this.#lastBusy.set(socket, Date.now());
        this.#closeWhenIdle(socket);
      }),
    );
  }
}

/**
 * Makes Node answer `Connection: close` and close the connection after this response. Node reads
 * `shouldKeepAlive` when it writes the headers; unlike a header set by hand, no middleware that
 * clears headers (Koa does on an error) can take it back.
 */
function closeAfter(res: http.ServerResponse): void {
  if (!res.headersSent) res.shouldKeepAlive = false;
}
