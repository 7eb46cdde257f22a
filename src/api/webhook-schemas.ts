/**
 * The shapes of the event webhook routes (/api/admin/webhooks), read by the same OpenAPI generator as
 * schemas.ts. Types and sizes only: what a URL or an event list may be is the store's to say
 * (audit/webhooks.ts), with per-field details under the same names. `webhookJson` is the one shape
 * of an endpoint, as the admin API answers it and `gatehouse webhook … --json` prints it.
 */
import { z } from 'zod';
import type { DeliveryCounts } from '../audit/webhook-outbox';
import type { WebhookEndpoint } from '../audit/webhooks';

export const WEBHOOKS_PATHS = {
  webhooks: '/api/admin/webhooks',
  webhook: '/api/admin/webhooks/:id',
  secret: '/api/admin/webhooks/:id/secret',
  deliveries: '/api/admin/webhooks/:id/deliveries',
  replay: '/api/admin/webhooks/:id/replay',
} as const;

const url = z
  .string()
  .max(2048)
  .describe('where deliveries are POSTed: https (http outside production, or on a loopback host)');
const events = z
  .array(z.string().max(64))
  .max(100)
  .describe('the audit event types to receive (user.created, session.ended, ...), or ["*"] for all');
const description = z.string().max(255).nullable().optional().describe("the operator's note");
const enabled = z.boolean().describe('false: nothing is queued, and what is pending waits');

export const createWebhookBody = z.strictObject({
  url,
  events,
  description,
  enabled: enabled.optional().describe('true unless given'),
});

export const updateWebhookBody = z.strictObject({
  url: url.optional(),
  events: events.optional(),
  description,
  enabled: enabled.optional(),
});

const counts = z.object({
  pending: z.int().describe('waiting for their first attempt or a retry'),
  delivered: z.int().describe('answered 2xx (kept 7 days)'),
  dead: z.int().describe('failed after every retry (kept 7 days, for a replay)'),
  oldest_pending_at: z.string().nullable().describe('RFC 3339 date-time the oldest pending one was queued'),
});

export const webhookResponse = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string().nullable(),
  enabled: z.boolean(),
  created_at: z.string().describe('RFC 3339 date-time'),
  updated_at: z.string().describe('RFC 3339 date-time'),
  deliveries: counts,
});

const NO_COUNTS = { pending: 0, delivered: 0, dead: 0, oldestPendingAt: null };

/** An endpoint and its deliveries per status (none unless given), in the shape of `webhookResponse`. */
export function webhookJson(
  endpoint: WebhookEndpoint,
  counts: Omit<DeliveryCounts, 'endpointId'> = NO_COUNTS,
): z.infer<typeof webhookResponse> {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpoint.events,
    description: endpoint.description,
    enabled: endpoint.enabled,
    created_at: endpoint.createdAt.toISOString(),
    updated_at: endpoint.updatedAt.toISOString(),
    deliveries: {
      pending: counts.pending,
      delivered: counts.delivered,
      dead: counts.dead,
      oldest_pending_at: counts.oldestPendingAt?.toISOString() ?? null,
    },
  };
}

export const webhookCreatedResponse = webhookResponse.extend({
  secret: z
    .string()
    .describe('the Standard Webhooks signing secret (whsec_...): in this answer only, store it now'),
});

export const webhookListResponse = z.object({ webhooks: z.array(webhookResponse) });

export const webhookSecretResponse = z.object({
  id: z.string(),
  secret: z.string().describe('the new signing secret (whsec_...): in this answer only'),
});

export const deliveriesQuery = z.strictObject({
  status: z.enum(['pending', 'delivered', 'dead']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const deliveryListResponse = z.object({
  deliveries: z.array(
    z.object({
      message_id: z.string().describe('the webhook-id header of every attempt'),
      type: z.string(),
      subject: z.string().describe('deliveries of one subject go out in order'),
      status: z.enum(['pending', 'delivered', 'dead']),
      attempts: z.int(),
      last_status: z.int().nullable().describe("the receiver's last HTTP status"),
      last_error: z.string().nullable(),
      next_attempt_at: z.string(),
      created_at: z.string(),
      settled_at: z.string().nullable(),
    }),
  ),
});

export const replayBody = z.strictObject({
  status: z.literal('dead').optional().describe('replay every dead delivery (or those since `since`)'),
  since: z.iso.datetime({ offset: true }).optional().describe('with status: queued at or after'),
  message_ids: z
    .array(z.string().max(64))
    .min(1)
    .max(1000)
    .optional()
    .describe('replay these deliveries (webhook-id), delivered or dead'),
});

export const replayResponse = z.object({
  replayed: z.int().describe('deliveries put back to pending, due now, under their message id'),
});
