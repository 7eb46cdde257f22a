/**
 * Administration of event webhook endpoints (audit/webhooks.ts): list, register (the Standard
 * Webhooks signing secret in that answer only), read, change, delete, rotate the secret, list the
 * latest deliveries, and replay dead or chosen deliveries. The store validates (400 with per-field
 * details); an unknown id is 404.
 */
import type { Context } from 'koa';
import type { z } from 'zod';
import type { WebhookDelivery } from '../../audit/webhook-outbox';
import type { WebhookEndpoint, WebhookStore } from '../../audit/webhooks';
import { badRequest, notFound } from '../../errors';
import { validateBody, validateQuery } from '../validation';
import {
  WEBHOOKS_PATHS,
  createWebhookBody,
  deliveriesQuery,
  replayBody,
  updateWebhookBody,
  webhookJson,
  type deliveryListResponse,
} from '../webhook-schemas';

type Deps = { webhooks: WebhookStore };

function deliveryView(delivery: WebhookDelivery): z.infer<typeof deliveryListResponse>['deliveries'][number] {
  return {
    message_id: delivery.messageId,
    type: delivery.type,
    subject: delivery.subject,
    status: delivery.status,
    attempts: delivery.attempts,
    last_status: delivery.lastStatus,
    last_error: delivery.lastError,
    next_attempt_at: delivery.nextAttemptAt.toISOString(),
    created_at: delivery.createdAt.toISOString(),
    settled_at: delivery.settledAt?.toISOString() ?? null,
  };
}

async function loadWebhook(webhooks: WebhookStore, ctx: Context): Promise<WebhookEndpoint> {
  const endpoint = await webhooks.find(String(ctx.params.id));
  if (!endpoint) throw notFound('no such webhook');
  return endpoint;
}

async function countsOf(webhooks: WebhookStore, id: string) {
  return (await webhooks.counts()).find((c) => c.endpointId === id);
}

export function listWebhooks({ webhooks }: Deps) {
  return async function listWebhooks(ctx: Context): Promise<void> {
    const [endpoints, counts] = await Promise.all([webhooks.list(), webhooks.counts()]);
    const byId = new Map(counts.map((c) => [c.endpointId, c]));
    ctx.body = { webhooks: endpoints.map((e) => webhookJson(e, byId.get(e.id))) };
  };
}

export function createWebhook({ webhooks }: Deps) {
  return async function createWebhook(ctx: Context): Promise<void> {
    const body = validateBody(ctx, createWebhookBody);
    const { endpoint, secret } = await webhooks.create({
      url: body.url,
      events: body.events,
      description: body.description ?? null,
      ...(body.enabled !== undefined && { enabled: body.enabled }),
    });
    ctx.status = 201;
    ctx.set('Location', WEBHOOKS_PATHS.webhook.replace(':id', endpoint.id));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { ...webhookJson(endpoint), secret };
  };
}

export function getWebhook({ webhooks }: Deps) {
  return async function getWebhook(ctx: Context): Promise<void> {
    const endpoint = await loadWebhook(webhooks, ctx);
    ctx.body = webhookJson(endpoint, await countsOf(webhooks, endpoint.id));
  };
}

export function updateWebhook({ webhooks }: Deps) {
  return async function updateWebhook(ctx: Context): Promise<void> {
    const body = validateBody(ctx, updateWebhookBody);
    const endpoint = await webhooks.update(String(ctx.params.id), {
      ...(body.url !== undefined && { url: body.url }),
      ...(body.events !== undefined && { events: body.events }),
      ...(body.description !== undefined && { description: body.description }),
      ...(body.enabled !== undefined && { enabled: body.enabled }),
    });
    if (!endpoint) throw notFound('no such webhook');
    ctx.body = webhookJson(endpoint, await countsOf(webhooks, endpoint.id));
  };
}

export function deleteWebhook({ webhooks }: Deps) {
  return async function deleteWebhook(ctx: Context): Promise<void> {
    if (!(await webhooks.delete(String(ctx.params.id)))) throw notFound('no such webhook');
    ctx.status = 204;
  };
}

export function rotateWebhookSecret({ webhooks }: Deps) {
  return async function rotateWebhookSecret(ctx: Context): Promise<void> {
    const rotated = await webhooks.rotateSecret(String(ctx.params.id));
    if (!rotated) throw notFound('no such webhook');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { id: rotated.endpoint.id, secret: rotated.secret };
  };
}

export function listWebhookDeliveries({ webhooks }: Deps) {
  return async function listWebhookDeliveries(ctx: Context): Promise<void> {
    const query = validateQuery(ctx, deliveriesQuery);
    const endpoint = await loadWebhook(webhooks, ctx);
    const deliveries = await webhooks.deliveries(endpoint.id, {
      limit: query.limit,
      ...(query.status && { status: query.status }),
    });
    ctx.body = { deliveries: deliveries.map(deliveryView) };
  };
}

export function replayWebhookDeliveries({ webhooks }: Deps) {
  return async function replayWebhookDeliveries(ctx: Context): Promise<void> {
    const body = validateBody(ctx, replayBody);
    if ((body.status === undefined) === (body.message_ids === undefined))
      throw badRequest('the request is invalid', { body: 'give either status "dead" or message_ids' });
    if (body.since !== undefined && body.status === undefined)
      throw badRequest('the request is invalid', { since: 'only with status' });
    const endpoint = await loadWebhook(webhooks, ctx);
    const replayed = await webhooks.replay(
      endpoint.id,
      body.message_ids
        ? { messageIds: body.message_ids }
        : { status: 'dead', ...(body.since && { since: new Date(body.since) }) },
    );
    ctx.body = { replayed };
  };
}
