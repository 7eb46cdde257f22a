/**
 * Delivery of event webhooks from the outbox (audit/webhook-outbox.ts), on every node. Each tick
 * claims the due rows (no two nodes claim one; per endpoint and subject, one at a time and in order)
 * and POSTs each row's payload to its endpoint, signed per the Standard Webhooks specification with
 * the `standardwebhooks` package: headers `webhook-id` (the message id, the same on every retry),
 * `webhook-timestamp` (this attempt's time, in seconds) and `webhook-signature` (`v1,<base64 of
 * HMAC-SHA256 over "id.timestamp.body">`), body the stored JSON exactly as signed.
 * - An attempt times out after WEBHOOK_TIMEOUT_MS; a 2xx answer delivers it. Anything else (another
 *   status, a redirect, a network error, a timeout) fails it.
 * - A failed attempt is tried again WEBHOOK_RETRIES times, after a backoff that starts at the lesser
 *   of the timeout and 5 seconds and doubles up to an hour, kept in the row (`next_attempt_at`): a
 *   retry survives a restart and any node may make it. After the last one the row is dead, kept for
 *   `gatehouse webhook replay`.
 * - Each outcome is logged (endpoint id, message id, attempt, outcome; never the secret or the
 *   payload) and counted (metrics.webhookDelivery).
 * `stop` ends the polling and waits for the deliveries in flight (the poller and the POST are
 * jobs/outbox-delivery.ts, shared with the back-channel logouts).
 */
import { Webhook } from 'standardwebhooks';
import { claimDue, settle, type ClaimedWebhook, type Settlement } from '../audit/webhook-outbox';
import type { Database } from '../db/database';
import type { Logger } from '../log';
import type { MetricsSink } from '../metrics/sink';
import { SecretBox } from '../security/secret-box';
import type { Job } from './job';
import { DeliveryError, doublingBackoffMs, postWithTimeout, startOutboxJob } from './outbox-delivery';
import type { OutboxPolling } from './outbox-delivery';

/** `pollMs`: the lesser of half a second and the timeout unless told. */
export interface WebhookJobDeps extends OutboxPolling {
  db: Database;
  logger: Logger;
  /** SECRET_KEY: the endpoints' signing secrets are sealed under it. */
  secretKey: string;
  timeoutMs: number;
  retries: number;
  metrics?: MetricsSink;
}

const MAX_BACKOFF_MS = 60 * 60_000;

/** The wait before attempt `attempt + 1`: min(timeout, 5 s) doubled per attempt made, at most 1 h. */
export function webhookBackoffMs(timeoutMs: number, attempt: number): number {
  return doublingBackoffMs(Math.min(5000, timeoutMs), MAX_BACKOFF_MS, attempt);
}

/** One attempt, signed now: resolves with the status of a 2xx answer, throws a DeliveryError otherwise. */
function post(row: ClaimedWebhook, secret: string, timeoutMs: number): Promise<number> {
  const now = new Date();
  const signature = new Webhook(secret).sign(row.messageId, now, row.body);
  return postWithTimeout(
    row.url,
    {
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Gatehouse-Webhooks',
        'webhook-id': row.messageId,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body: row.body,
    },
    timeoutMs,
  );
}

export function startWebhookJob(deps: WebhookJobDeps): Job {
  const { db, logger, timeoutMs, retries, metrics } = deps;
  const box = new SecretBox(deps.secretKey);
  // A node that dies holding a claim leaves the row to others once the attempt cannot be running.
  const leaseMs = timeoutMs + 30_000;

  async function deliver(row: ClaimedWebhook): Promise<void> {
    const log = { endpoint_id: row.endpointId, message_id: row.messageId, attempt: row.attempts };
    let result: Settlement;
    try {
      const status = await post(row, box.open(row.secretSealed), timeoutMs);
      result = { outcome: 'delivered', status };
    } catch (err) {
      const failure = err instanceof DeliveryError ? err : new DeliveryError('error');
      if (!(err instanceof DeliveryError)) logger.error({ ...log, err }, 'webhook not sent');
      result =
        row.attempts > retries
          ? { outcome: 'dead', status: failure.status, error: failure.reason }
          : {
              outcome: 'retry',
              retryAfterMs: webhookBackoffMs(timeoutMs, row.attempts),
              status: failure.status,
              error: failure.reason,
            };
    }
    const settled = await settle(db, row, result);
    const outcome = result.outcome === 'retry' ? 'retried' : result.outcome;
    if (!settled) {
      // Replayed, reclaimed or deleted meanwhile: the row is no longer this attempt's.
      logger.info({ ...log, outcome, settled: false }, 'webhook delivery');
      return;
    }
    metrics?.webhookDelivery(outcome);
    const fields =
      result.outcome === 'delivered'
        ? { status: result.status }
        : result.outcome === 'retry'
          ? { reason: result.error, retry_after_ms: result.retryAfterMs }
          : { reason: result.error };
    const level = result.outcome === 'dead' ? 'warn' : 'info';
    logger[level]({ ...log, outcome, ...fields }, 'webhook delivery');
  }

  return startOutboxJob({
    name: 'webhook',
    logger,
    pollMs: deps.pollMs ?? Math.min(500, timeoutMs),
    concurrency: deps.concurrency,
    claim: (limit) => claimDue(db, limit, leaseMs),
    deliver,
    logFields: (row) => ({ endpoint_id: row.endpointId, message_id: row.messageId }),
  });
}
