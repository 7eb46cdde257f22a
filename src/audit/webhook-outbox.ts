/**
 * The outbox of event webhooks (migration 20261206000100 `webhook_outbox`): one row per audit event
 * and subscribed endpoint, written by recordAudit (audit/record.ts) in the transaction of the change,
 * claimed and settled by the delivery job of any node (jobs/webhooks.ts), replayed by an operator.
 *
 * - Claiming is one statement, `for update skip locked`, with a lease: two nodes never hold one row,
 *   and a node that dies holding one leaves it to the others when the lease ends.
 * - Order per subject: a row is claimed only when no earlier (smaller id) row of the same endpoint
 *   and subject is still pending, so a receiver sees the events of one user, client or key in the
 *   order they were recorded; a row waits while the one before it is retried, and goes once that one
 *   is delivered or dead. (Ids are taken at insert: two transactions recording events on one subject
 *   at the same instant are ordered by their inserts, which a change on the same row serializes.)
 * - Settling is a compare-and-set on the attempt: a row another node reclaimed meanwhile is that
 *   node's to settle.
 * - A row ends `delivered`, or `dead` after its last retry; both are kept 7 days (the purge job) for
 *   the operator to replay, which sends them again under the same `webhook-id`.
 */
import type { Database, Executor } from '../db/database';
import { isStorableText } from '../db/text';

export const WEBHOOK_OUTBOX_TABLE = 'webhook_outbox';
/** Delivered and dead rows are kept this long for a replay, then purged. */
export const SETTLED_RETENTION_DAYS = 7;

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

/** A row the job claimed, with what it needs to send it; `attempts` counts this attempt. */
export interface ClaimedWebhook {
  id: string;
  endpointId: string;
  /** The Standard Webhooks `webhook-id`: the same on every retry and replay. */
  messageId: string;
  type: string;
  subject: string;
  /** The JSON body to send, exactly as it is signed. */
  body: string;
  attempts: number;
  url: string;
  /** The endpoint's signing secret, sealed under SECRET_KEY. */
  secretSealed: string;
}

interface ClaimedRow {
  id: string | number;
  endpoint_id: string;
  message_id: string;
  type: string;
  subject: string;
  payload: unknown;
  attempts: number;
  url: string;
  secret_sealed: string;
}

/**
 * Claims up to `limit` due rows for `leaseMs`: pending, due, of an enabled endpoint, and first of
 * their endpoint and subject among the pending ones. Due times are the database's clock.
 */
export async function claimDue(db: Database, limit: number, leaseMs: number): Promise<ClaimedWebhook[]> {
  if (limit <= 0) return [];
  const { rows } = (await db.raw(
    `update webhook_outbox o set attempts = o.attempts + 1,
       next_attempt_at = now() + (? * interval '1 millisecond')
     from webhook_endpoints e
     where e.id = o.endpoint_id and o.id in (
       select c.id from webhook_outbox c join webhook_endpoints ce on ce.id = c.endpoint_id
       where c.status = 'pending' and c.next_attempt_at <= now() and ce.enabled
         and not exists (
           select 1 from webhook_outbox p
           where p.endpoint_id = c.endpoint_id and p.subject = c.subject
             and p.status = 'pending' and p.id < c.id)
       order by c.id limit ? for update of c skip locked)
     returning o.id, o.endpoint_id, o.message_id, o.type, o.subject, o.payload, o.attempts,
       e.url, e.secret_sealed`,
    [leaseMs, limit],
  )) as { rows: ClaimedRow[] };
  return rows
    .map((row) => ({
      id: String(row.id),
      endpointId: row.endpoint_id,
      messageId: row.message_id,
      type: row.type,
      subject: row.subject,
      body: typeof row.payload === 'string' ? row.payload : JSON.stringify(row.payload),
      attempts: row.attempts,
      url: row.url,
      secretSealed: row.secret_sealed,
    }))
    .sort((a, b) => Number(a.id) - Number(b.id));
}

export type Settlement =
  | { outcome: 'delivered'; status: number }
  | { outcome: 'retry'; retryAfterMs: number; status: number | null; error: string }
  | { outcome: 'dead'; status: number | null; error: string };

/**
 * Settles a claimed row, compare-and-set on its attempt: delivered, due again after `retryAfterMs`,
 * or dead. False when the row is no longer this attempt's (reclaimed, replayed or deleted).
 */
export async function settle(db: Executor, row: ClaimedWebhook, result: Settlement): Promise<boolean> {
  const mine = db(WEBHOOK_OUTBOX_TABLE).where({ id: row.id, attempts: row.attempts, status: 'pending' });
  const status = result.status;
  const changed =
    result.outcome === 'delivered'
      ? await mine.update({
          status: 'delivered',
          last_status: status,
          last_error: null,
          settled_at: db.fn.now(),
        })
      : result.outcome === 'retry'
        ? await mine.update({
            next_attempt_at: db.raw(`now() + (? * interval '1 millisecond')`, [result.retryAfterMs]),
            last_status: status,
            last_error: result.error.slice(0, 255),
          })
        : await mine.update({
            status: 'dead',
            last_status: status,
            last_error: result.error.slice(0, 255),
            settled_at: db.fn.now(),
          });
  return changed > 0;
}

/** Which settled deliveries of an endpoint a replay sends again. */
export type ReplaySelector =
  /** These messages (`webhook-id`s), delivered or dead. */
  | { messageIds: string[] }
  /** Every dead one, or those created since a time. */
  | { status: 'dead'; since?: Date };

/**
 * Puts settled deliveries back to pending, due now, with no attempts made: the job sends them
 * again under the same message id (receivers deduplicate by `webhook-id`). Returns how many.
 */
export async function replayDeliveries(
  db: Executor,
  endpointId: string,
  selector: ReplaySelector,
): Promise<number> {
  let rows = db(WEBHOOK_OUTBOX_TABLE).where('endpoint_id', endpointId);
  if ('messageIds' in selector) {
    const ids = selector.messageIds.filter((id) => typeof id === 'string' && isStorableText(id));
    if (ids.length === 0) return 0;
    rows = rows.whereIn('message_id', ids).whereIn('status', ['delivered', 'dead']);
  } else {
    rows = rows.where('status', 'dead');
    if (selector.since) rows = rows.where('created_at', '>=', selector.since);
  }
  return rows.update({
    status: 'pending',
    attempts: 0,
    next_attempt_at: db.fn.now(),
    settled_at: null,
    last_error: null,
    last_status: null,
  });
}

/** Deliveries of one endpoint per status, and how long the oldest pending one has waited. */
export interface DeliveryCounts {
  endpointId: string;
  pending: number;
  delivered: number;
  dead: number;
  /** When the oldest pending delivery was queued, or null. */
  oldestPendingAt: Date | null;
}

/** Counts for every endpoint that has deliveries (the CLI, the admin API, the doctor). */
export async function deliveryCounts(db: Executor): Promise<DeliveryCounts[]> {
  const rows = (await db(WEBHOOK_OUTBOX_TABLE)
    .select('endpoint_id', 'status')
    .count({ count: '*' })
    .min({ oldest: 'created_at' })
    .groupBy('endpoint_id', 'status')) as unknown as {
    endpoint_id: string;
    status: DeliveryStatus;
    count: string | number;
    oldest: Date | string | null;
  }[];
  const byEndpoint = new Map<string, DeliveryCounts>();
  for (const row of rows) {
    let entry = byEndpoint.get(row.endpoint_id);
    if (!entry) {
      entry = { endpointId: row.endpoint_id, pending: 0, delivered: 0, dead: 0, oldestPendingAt: null };
      byEndpoint.set(row.endpoint_id, entry);
    }
    if (row.status === 'pending' || row.status === 'delivered' || row.status === 'dead')
      entry[row.status] = Number(row.count);
    if (row.status === 'pending' && row.oldest) entry.oldestPendingAt = new Date(row.oldest);
  }
  return [...byEndpoint.values()].sort((a, b) => a.endpointId.localeCompare(b.endpointId));
}

/** One delivery as an operator reads it (never the payload). */
export interface WebhookDelivery {
  id: string;
  messageId: string;
  type: string;
  subject: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: Date;
  createdAt: Date;
  settledAt: Date | null;
}

export interface DeliveryListOptions {
  status?: DeliveryStatus;
  /** At most this many, newest first (default 50, at most 500). */
  limit?: number;
}

interface DeliveryRow {
  id: string | number;
  message_id: string;
  type: string;
  subject: string;
  status: DeliveryStatus;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: Date | string;
  created_at: Date | string;
  settled_at: Date | string | null;
}

export async function listDeliveries(
  db: Executor,
  endpointId: string,
  options: DeliveryListOptions = {},
): Promise<WebhookDelivery[]> {
  const limit = Math.min(500, Math.max(1, options.limit ?? 50));
  let query = db<DeliveryRow>(WEBHOOK_OUTBOX_TABLE)
    .select(
      'id',
      'message_id',
      'type',
      'subject',
      'status',
      'attempts',
      'last_status',
      'last_error',
      'next_attempt_at',
      'created_at',
      'settled_at',
    )
    .where('endpoint_id', endpointId);
  if (options.status) query = query.where('status', options.status);
  const rows = (await query.orderBy('id', 'desc').limit(limit)) as DeliveryRow[];
  return rows.map((row) => ({
    id: String(row.id),
    messageId: row.message_id,
    type: row.type,
    subject: row.subject,
    status: row.status,
    attempts: row.attempts,
    lastStatus: row.last_status,
    lastError: row.last_error,
    nextAttemptAt: new Date(row.next_attempt_at),
    createdAt: new Date(row.created_at),
    settledAt: row.settled_at === null ? null : new Date(row.settled_at),
  }));
}

/**
 * One batch of the purge job: delivered and dead rows settled more than SETTLED_RETENTION_DAYS ago.
 * Pending rows are never purged. Returns how many were deleted.
 */
export async function deleteSettledWebhookBatch(trx: Executor, batchSize: number): Promise<number> {
  const cutoff = new Date(Date.now() - SETTLED_RETENTION_DAYS * 86_400_000);
  return trx(WEBHOOK_OUTBOX_TABLE)
    .whereIn(
      'id',
      trx(WEBHOOK_OUTBOX_TABLE)
        .select('id')
        .whereIn('status', ['delivered', 'dead'])
        .where('settled_at', '<', cutoff)
        .limit(batchSize),
    )
    .delete();
}
