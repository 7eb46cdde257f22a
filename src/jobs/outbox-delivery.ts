/**
 * What the outbox delivery jobs share (jobs/webhooks.ts, jobs/backchannel-logout.ts): a row is
 * queued in the database in the transaction of the change it tells of, and every node polls for the
 * due rows and POSTs each one, so a delivery survives a restart and any node may make it.
 * - `postWithTimeout`: one attempt, whose failure says why (`timeout`, the network error's code,
 *   `status 500`) in the words the outbox stores and the log shows.
 * - `startOutboxJob`: the poller. One claim at a time per node, at most `concurrency` deliveries in
 *   flight; `stop` ends the polling and waits for the claim and the deliveries in flight, so they
 *   are settled before the node closes the database under them.
 * - `doublingBackoffMs`: the wait before a retry, doubled per attempt made up to a ceiling.
 * What a row is, how it is claimed and settled, and the first wait and the ceiling are each job's own.
 */
import type { Logger } from '../log';
import type { Job } from './job';

/** A failed attempt: `reason` is stored and logged; `status` is the answer's, when there was one. */
export class DeliveryError extends Error {
  constructor(
    readonly reason: string,
    readonly status: number | null = null,
  ) {
    super(reason);
  }
}

/** The wait before attempt `attempt + 1`: `firstMs`, doubled per attempt made, at most `maxMs`. */
export function doublingBackoffMs(firstMs: number, maxMs: number, attempt: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, attempt - 1));
}

export interface OutboxPost {
  headers: Record<string, string>;
  body: string | URLSearchParams;
}

/** One attempt: resolves with the status of a 2xx answer, throws a DeliveryError saying why not otherwise. */
export async function postWithTimeout(url: string, post: OutboxPost, timeoutMs: number): Promise<number> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      // A redirect is not followed: what is sent was meant for this URL (a webhook's signature, a
      // logout token for this client's backchannel_logout_uri).
      redirect: 'manual',
      headers: post.headers,
      body: post.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const name = (err as Error | undefined)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new DeliveryError('timeout');
    const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
    throw new DeliveryError(typeof cause === 'string' ? cause : 'network error');
  }
  // The answer's body means nothing to the sender (Back-Channel Logout 1.0 §2.8); it is not read.
  await response.body?.cancel().catch(() => undefined);
  if (response.status < 200 || response.status > 299)
    throw new DeliveryError(`status ${response.status}`, response.status);
  return response.status;
}

/** How a node polls an outbox (tests poll faster or hold fewer). */
export interface OutboxPolling {
  /** How often the outbox is looked at; each job has its default. */
  pollMs?: number;
  /** At most this many deliveries in flight on this node; 20 unless told. */
  concurrency?: number;
}

export interface OutboxJobOptions<Row> {
  /** Names the job in its log lines: `<name> outbox not read`, `<name> settle failed`. */
  name: string;
  logger: Logger;
  /** How often the outbox is looked at. */
  pollMs: number;
  concurrency?: number;
  /** Claims at most `limit` due rows for this node. */
  claim(limit: number): Promise<Row[]>;
  /** Delivers one row and settles it; a rejection is logged as a settle that failed. */
  deliver(row: Row): Promise<void>;
  /** The log fields that name a row (never its secret or payload). */
  logFields(row: Row): Record<string, unknown>;
}

export function startOutboxJob<Row>(options: OutboxJobOptions<Row>): Job {
  const { name, logger } = options;
  const concurrency = options.concurrency ?? 20;
  const inFlight = new Set<Promise<void>>();
  let ticking: Promise<void> | undefined;
  let stopped = false;

  async function tick(): Promise<void> {
    const rows = await options.claim(concurrency - inFlight.size);
    for (const row of rows) {
      const work = options
        .deliver(row)
        .catch((err: unknown) => logger.error({ err, ...options.logFields(row) }, `${name} settle failed`));
      inFlight.add(work);
      void work.then(() => inFlight.delete(work));
    }
  }

  const timer = setInterval(function poll() {
    // One claim at a time per node; the deliveries it started run on without holding the next.
    if (stopped || ticking) return;
    ticking = tick()
      .catch((err: unknown) => logger.warn({ err }, `${name} outbox not read`))
      .finally(() => {
        ticking = undefined;
      });
  }, options.pollMs);
  timer.unref();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await ticking;
      await Promise.all(inFlight);
    },
  };
}
