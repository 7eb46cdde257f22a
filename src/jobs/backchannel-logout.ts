/**
 * Delivery of back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.5) from the
 * outbox (oidc/backchannel-outbox.ts), on every node. Each tick claims the due rows (no two nodes
 * claim one), and for each signs the logout token the library would (oidc/internals.ts logoutToken)
 * and POSTs it as `logout_token`, form-encoded, to the client's backchannel_logout_uri:
 * - an attempt times out after BACKCHANNEL_LOGOUT_TIMEOUT_MS; a network error, a timeout or an answer
 *   other than 2xx (§2.8: 200 OK, the library also takes 204) fails it;
 * - a failed attempt is tried again BACKCHANNEL_LOGOUT_RETRIES times, after a backoff that starts at
 *   the lesser of the timeout and one second and doubles; a row waiting for its retry survives a
 *   restart and may be delivered by any node;
 * - each outcome is logged (client id, attempt, outcome; never the token) and counted per client.
 * `stop` ends the polling and waits for the deliveries in flight.
 */
import type { Provider } from 'oidc-provider';
import type { Database } from '../db/database';
import type { Logger } from '../log';
import { claimDueLogouts, settleLogout, type ClaimedLogout } from '../oidc/backchannel-outbox';
import { logoutToken } from '../oidc/internals';
import type { Job } from './job';

export interface BackchannelLogoutJobDeps {
  db: Database;
  logger: Logger;
  /** The provider of the current key material (it changes on a key rotation). */
  provider(): Provider;
  timeoutMs: number;
  retries: number;
  /** How often the outbox is looked at; half a second unless a test says otherwise. */
  pollMs?: number;
  /** At most this many deliveries in flight on this node. */
  concurrency?: number;
}

const MAX_BACKOFF_MS = 5 * 60_000;

/** The wait before attempt `attempt + 1`: min(timeout, 1 s) doubled per attempt made. */
export function backoffMs(timeoutMs: number, attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, Math.min(1000, timeoutMs) * 2 ** Math.max(0, attempt - 1));
}

class DeliveryError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** One attempt: resolves on a 2xx answer, throws a DeliveryError saying why not otherwise. */
async function post(uri: string, token: string, timeoutMs: number): Promise<number> {
  let response: Response;
  try {
    response = await fetch(uri, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const name = (err as Error | undefined)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new DeliveryError('timeout');
    const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
    throw new DeliveryError(typeof cause === 'string' ? cause : 'network error');
  }
  // The answer's body means nothing to the OP (§2.8); it is not read.
  await response.body?.cancel().catch(() => undefined);
  if (response.status < 200 || response.status > 299) throw new DeliveryError(`status ${response.status}`);
  return response.status;
}

export function startBackchannelLogoutJob(deps: BackchannelLogoutJobDeps): Job {
  const { db, logger, timeoutMs, retries } = deps;
  const concurrency = deps.concurrency ?? 20;
  // A node that dies holding a claim leaves the row to others once the attempt cannot be running.
  const leaseMs = timeoutMs + 30_000;
  const inFlight = new Set<Promise<void>>();
  let ticking: Promise<void> | undefined;
  let stopped = false;

  async function deliver(row: ClaimedLogout): Promise<void> {
    const log = { client_id: row.clientId, attempt: row.attempts };
    let status: number | undefined;
    try {
      const provider = deps.provider();
      const client = await provider.Client.find(row.clientId);
      // A client deleted, or no longer registered for it, since the session ended: nothing to send.
      if (!client?.backchannelLogoutUri) {
        await settleLogout(db, row, { outcome: 'failed' });
        logger.warn({ ...log, outcome: 'failed', reason: 'no backchannel_logout_uri' }, 'backchannel logout');
        return;
      }
      const token = await logoutToken(provider, client, row.accountId, row.sid ?? undefined);
      status = await post(client.backchannelLogoutUri, token, timeoutMs);
    } catch (err) {
      const reason = err instanceof DeliveryError ? err.reason : 'error';
      if (!(err instanceof DeliveryError)) logger.error({ ...log, err }, 'backchannel logout not sent');
      if (row.attempts > retries) {
        await settleLogout(db, row, { outcome: 'failed' });
        logger.warn({ ...log, outcome: 'failed', reason }, 'backchannel logout');
      } else {
        const retryAfterMs = backoffMs(timeoutMs, row.attempts);
        await settleLogout(db, row, { outcome: 'retry', retryAfterMs, error: reason });
        logger.info({ ...log, outcome: 'retry', reason, retry_after_ms: retryAfterMs }, 'backchannel logout');
      }
      return;
    }
    await settleLogout(db, row, { outcome: 'delivered' });
    logger.info({ ...log, outcome: 'delivered', status }, 'backchannel logout');
  }

  async function tick(): Promise<void> {
    const rows = await claimDueLogouts(db, concurrency - inFlight.size, leaseMs);
    for (const row of rows) {
      const work = deliver(row).catch((err: unknown) =>
        logger.error({ err, client_id: row.clientId }, 'backchannel logout settle failed'),
      );
      inFlight.add(work);
      void work.then(() => inFlight.delete(work));
    }
  }

  const timer = setInterval(function poll() {
    // One claim at a time per node; the deliveries it started run on without holding the next.
    if (stopped || ticking) return;
    ticking = tick()
      .catch((err: unknown) => logger.warn({ err }, 'backchannel logout outbox not read'))
      .finally(() => {
        ticking = undefined;
      });
  }, deps.pollMs ?? 500);
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
