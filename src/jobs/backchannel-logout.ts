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
 * `stop` ends the polling and waits for the deliveries in flight (the poller and the POST are
 * jobs/outbox-delivery.ts, shared with the event webhooks).
 */
import type { Provider } from 'oidc-provider';
import type { Database } from '../db/database';
import type { Logger } from '../log';
import { claimDueLogouts, settleLogout, type ClaimedLogout } from '../oidc/backchannel-outbox';
import { logoutToken } from '../oidc/internals';
import type { Job } from './job';
import { DeliveryError, doublingBackoffMs, postWithTimeout, startOutboxJob } from './outbox-delivery';
import type { OutboxPolling } from './outbox-delivery';

/** `pollMs`: half a second unless a test says otherwise. */
export interface BackchannelLogoutJobDeps extends OutboxPolling {
  db: Database;
  logger: Logger;
  /** The provider of the current key material (it changes on a key rotation). */
  provider(): Provider;
  timeoutMs: number;
  retries: number;
}

const MAX_BACKOFF_MS = 5 * 60_000;

/** The wait before attempt `attempt + 1`: min(timeout, 1 s) doubled per attempt made. */
export function backoffMs(timeoutMs: number, attempt: number): number {
  return doublingBackoffMs(Math.min(1000, timeoutMs), MAX_BACKOFF_MS, attempt);
}

/** One attempt: resolves on a 2xx answer (§2.8), throws a DeliveryError saying why not otherwise. */
function post(uri: string, token: string, timeoutMs: number): Promise<number> {
  return postWithTimeout(
    uri,
    {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }),
    },
    timeoutMs,
  );
}

export function startBackchannelLogoutJob(deps: BackchannelLogoutJobDeps): Job {
  const { db, logger, timeoutMs, retries } = deps;
  // A node that dies holding a claim leaves the row to others once the attempt cannot be running.
  const leaseMs = timeoutMs + 30_000;

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

  return startOutboxJob({
    name: 'backchannel logout',
    logger,
    pollMs: deps.pollMs ?? 500,
    concurrency: deps.concurrency,
    claim: (limit) => claimDueLogouts(db, limit, leaseMs),
    deliver,
    logFields: (row) => ({ client_id: row.clientId }),
  });
}
