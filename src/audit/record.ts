/**
 * Recording an audit event: one row in audit_events and, for every enabled webhook endpoint that
 * subscribed to its type, one row in webhook_outbox, all on the executor the caller passes. A store
 * passes the transaction of the change it records, so the event, its deliveries and the change
 * commit or roll back together (the transactional outbox pattern): no event for a change that did
 * not happen, no change without its event.
 *
 * Who, from where and under which request come from the request context (audit/context.ts). The
 * caller's `data` holds the details: a reason, the names of fields changed; never a password, a
 * secret, a token or a hash (recordAudit drops any key that names one, as a last guard).
 */
import type { Knex } from 'knex';
import type { Executor } from '../db/database';
import { currentContext, SYSTEM_ACTOR } from './context';
import type { Actor, AuditEventType, TargetType } from './types';

export interface AuditInput {
  type: AuditEventType;
  target?: { type: TargetType; id: string | null };
  /** Overrides the context's actor (a sign-in names the account that signed in). */
  actor?: Actor;
  data?: Record<string, unknown>;
}

/** Keys never stored, whatever a caller passes: the last guard against a secret in the trail. */
const SECRET_NAMES = /pass(word)?|secret|token|hash|code|otp|key_material|private/i;

function scrub(data: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!data) return {};
  return Object.fromEntries(Object.entries(data).filter(([key]) => !SECRET_NAMES.test(key)));
}

/** The payload webhooks carry (Standard Webhooks: `type`, `timestamp`, `data`). */
export interface WebhookPayload {
  type: AuditEventType;
  timestamp: string;
  data: {
    event_id: string;
    actor: Actor;
    target: { type: TargetType; id: string | null } | null;
    request_id: string | null;
    details: Record<string, unknown>;
  };
}

interface InsertedEvent {
  id: string | number;
  occurred_at: Date | string;
}

export async function recordAudit(db: Executor, input: AuditInput): Promise<string> {
  const context = currentContext();
  const actor = input.actor ?? context?.actor ?? SYSTEM_ACTOR;
  const details = scrub(input.data);
  const [row] = (await db('audit_events')
    .insert({
      type: input.type,
      actor_type: actor.type,
      actor_id: actor.id,
      target_type: input.target?.type ?? null,
      target_id: input.target?.id ?? null,
      ip: context?.ip ?? null,
      user_agent: context?.userAgent ?? null,
      request_id: context?.requestId ?? null,
      data: JSON.stringify(details),
    })
    .returning(['id', 'occurred_at'])) as InsertedEvent[];
  const id = String(row!.id);
  await enqueueWebhooks(
    db,
    id,
    input,
    actor,
    details,
    new Date(row!.occurred_at),
    context?.requestId ?? null,
  );

  // Counted once the change is committed: a rolled-back sign-in is no sign-in.
  const metrics = context?.metrics;
  if (metrics) {
    const count = () => metrics.auditEvent(input.type, details);
    const trx = db as Partial<Knex.Transaction>;
    if (trx.isTransaction && trx.executionPromise) trx.executionPromise.then(count, () => undefined);
    else count();
  }
  return id;
}

async function enqueueWebhooks(
  db: Executor,
  eventId: string,
  input: AuditInput,
  actor: Actor,
  details: Record<string, unknown>,
  occurredAt: Date,
  requestId: string | null,
): Promise<void> {
  const endpoints = (await db('webhook_endpoints')
    .select('id')
    .where('enabled', true)
    .andWhere((q) =>
      q.whereRaw('events @> ?::jsonb', [JSON.stringify([input.type])]).orWhereRaw(`events @> '["*"]'::jsonb`),
    )) as { id: string }[];
  if (endpoints.length === 0) return;
  const payload: WebhookPayload = {
    type: input.type,
    timestamp: occurredAt.toISOString(),
    data: {
      event_id: eventId,
      actor,
      target: input.target ?? null,
      request_id: requestId,
      details,
    },
  };
  // Deliveries of one subject go out in order (webhook_outbox's ordering key).
  const subject = input.target ? `${input.target.type}:${input.target.id ?? ''}` : `event:${input.type}`;
  await db('webhook_outbox').insert(
    endpoints.map((endpoint) => ({
      endpoint_id: endpoint.id,
      message_id: `evt_${eventId}`,
      audit_event_id: eventId,
      type: input.type,
      subject,
      payload: JSON.stringify(payload),
    })),
  );
}
