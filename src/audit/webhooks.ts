/**
 * The webhook endpoints operators register (migration 20261206000100 `webhook_endpoints`): where
 * the audit events they subscribed to are delivered (audit/record.ts queues them, jobs/webhooks.ts
 * delivers them), signed per the Standard Webhooks specification.
 *
 * - The URL is http(s) without credentials or a fragment. In production it must be https, except on
 *   a loopback host (a receiver on the same machine, reached without crossing a network).
 * - The events are a non-empty list of audit event names (audit/types.ts), or `*` for all of them.
 * - The signing secret is `whsec_` and the base64 of 32 random bytes (Standard Webhooks §Signature
 *   scheme: a symmetric secret of 24 to 64 bytes). It is returned once, when created or rotated, and
 *   stored sealed under SECRET_KEY (security/secret-box.ts); it is never listed, logged or audited.
 * - Every change records webhook.created / webhook.updated / webhook.deleted in its own transaction.
 */
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Database } from '../db/database';
import { isStorableText } from '../db/text';
import { badRequest, type FieldErrors } from '../errors';
import { isLoopbackHost } from '../http/loopback';
import { SecretBox } from '../security/secret-box';
import { recordAudit } from './record';
import { isAuditEventType } from './types';
import {
  deliveryCounts,
  listDeliveries,
  replayDeliveries,
  type DeliveryCounts,
  type DeliveryListOptions,
  type ReplaySelector,
  type WebhookDelivery,
} from './webhook-outbox';

export const ENDPOINTS_TABLE = 'webhook_endpoints';
/** Subscribes to every event type, present and future. */
export const ALL_EVENTS = '*';

const MAX_URL_LENGTH = 2048;
const MAX_DESCRIPTION_LENGTH = 255;
const MAX_EVENTS = 100;
const ID_PATTERN = /^wh_[0-9a-f]{24}$/;

export interface WebhookEndpoint {
  id: string;
  url: string;
  /** Audit event names, or `['*']`. */
  events: string[];
  description: string | null;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookInput {
  url: string;
  events: string[];
  description?: string | null;
  enabled?: boolean;
}

export type WebhookChanges = Partial<WebhookInput>;

export interface WebhookRules {
  /** SECRET_KEY: the signing secrets are sealed under it. */
  secretKey: string;
  /** https only (but for loopback receivers). */
  production: boolean;
}

interface EndpointRow {
  id: string;
  url: string;
  events: string[] | string;
  secret_sealed: string;
  description: string | null;
  enabled: boolean;
  created_at: Date | string;
  updated_at: Date | string;
}

function toEndpoint(row: EndpointRow): WebhookEndpoint {
  return {
    id: row.id,
    url: row.url,
    events: typeof row.events === 'string' ? (JSON.parse(row.events) as string[]) : row.events,
    description: row.description,
    enabled: row.enabled,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** A new Standard Webhooks signing secret: `whsec_` + base64 of 32 random bytes. */
export function generateSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** What is wrong with an endpoint URL, or null. */
export function urlProblem(url: unknown, production: boolean): string | null {
  if (typeof url !== 'string' || !url) return 'required';
  if (url.length > MAX_URL_LENGTH || !isStorableText(url))
    return `must be at most ${MAX_URL_LENGTH} characters`;
  const parsed = URL.parse(url);
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:'))
    return 'must be an absolute http(s) URL';
  if (parsed.username || parsed.password) return 'must not contain credentials';
  if (url.includes('#')) return 'must not contain a fragment';
  if (/\s/.test(url)) return 'must not contain spaces';
  // The body names who did what: it crosses a network only encrypted.
  if (production && parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname))
    return 'must be https in production (http only on a loopback host)';
  return null;
}

/** What is wrong with a list of event names, or null. */
export function eventsProblem(events: unknown): string | null {
  if (!Array.isArray(events) || events.length === 0 || events.length > MAX_EVENTS)
    return 'must list 1 or more event types, or *';
  const unknown = events.filter(
    (event) => typeof event !== 'string' || (event !== ALL_EVENTS && !isAuditEventType(event)),
  );
  if (unknown.length) return `unknown event type: ${unknown.map(String).join(', ').slice(0, 200)}`;
  return null;
}

function problemsOf(changes: WebhookChanges, production: boolean): FieldErrors {
  const problems: FieldErrors = {};
  if (changes.url !== undefined) {
    const problem = urlProblem(changes.url, production);
    if (problem) problems.url = problem;
  }
  if (changes.events !== undefined) {
    const problem = eventsProblem(changes.events);
    if (problem) problems.events = problem;
  }
  const { description } = changes;
  if (
    description !== undefined &&
    description !== null &&
    (typeof description !== 'string' ||
      description.length > MAX_DESCRIPTION_LENGTH ||
      !isStorableText(description))
  )
    problems.description = `must be at most ${MAX_DESCRIPTION_LENGTH} characters`;
  if (changes.enabled !== undefined && typeof changes.enabled !== 'boolean')
    problems.enabled = 'must be true or false';
  return problems;
}

/** The events as stored: each once, in the order given; `*` alone when it is among them. */
function normalizeEvents(events: string[]): string[] {
  return events.includes(ALL_EVENTS) ? [ALL_EVENTS] : [...new Set(events)];
}

function hostOf(url: string): string {
  return new URL(url).host;
}

export class WebhookStore {
  private readonly box: SecretBox;

  constructor(
    private readonly db: Database,
    private readonly rules: WebhookRules,
  ) {
    this.box = new SecretBox(rules.secretKey);
  }

  async list(): Promise<WebhookEndpoint[]> {
    const rows = await this.db<EndpointRow>(ENDPOINTS_TABLE).orderBy('created_at').orderBy('id');
    return rows.map(toEndpoint);
  }

  async find(id: string): Promise<WebhookEndpoint | null> {
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) return null;
    const row = await this.db<EndpointRow>(ENDPOINTS_TABLE).where('id', id).first();
    return row ? toEndpoint(row) : null;
  }

  /** Registers an endpoint; the returned `secret` is the only time it is seen. 400 per field. */
  async create(input: WebhookInput): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const problems = problemsOf(input, this.rules.production);
    if (input.url === undefined) problems.url = 'required';
    if (input.events === undefined) problems.events = 'required';
    if (Object.keys(problems).length) throw badRequest('the webhook is invalid', problems);
    const secret = generateSigningSecret();
    const events = normalizeEvents(input.events);
    const id = `wh_${randomBytes(12).toString('hex')}`;
    const endpoint = await this.db.transaction(async (trx) => {
      const [row] = (await trx(ENDPOINTS_TABLE)
        .insert({
          id,
          url: input.url,
          events: JSON.stringify(events),
          secret_sealed: this.box.seal(secret),
          description: input.description ?? null,
          enabled: input.enabled ?? true,
        })
        .returning('*')) as EndpointRow[];
      await recordAudit(trx, {
        type: 'webhook.created',
        target: { type: 'webhook', id },
        data: { host: hostOf(input.url), events, enabled: input.enabled ?? true },
      });
      return toEndpoint(row!);
    });
    return { endpoint, secret };
  }

  /** Changes the fields given; null for an unknown id. 400 per field. */
  async update(id: string, changes: WebhookChanges): Promise<WebhookEndpoint | null> {
    const problems = problemsOf(changes, this.rules.production);
    if (Object.keys(problems).length) throw badRequest('the webhook is invalid', problems);
    const current = await this.find(id);
    if (!current) return null;
    const values: Record<string, unknown> = {};
    if (changes.url !== undefined) values.url = changes.url;
    if (changes.events !== undefined) values.events = JSON.stringify(normalizeEvents(changes.events));
    if (changes.description !== undefined) values.description = changes.description;
    if (changes.enabled !== undefined) values.enabled = changes.enabled;
    if (Object.keys(values).length === 0) return current;
    return this.db.transaction(async (trx) => {
      const [row] = (await trx(ENDPOINTS_TABLE)
        .where('id', id)
        .update({ ...values, updated_at: trx.fn.now() })
        .returning('*')) as EndpointRow[];
      if (!row) return null;
      await this.audit(trx, id, Object.keys(values));
      return toEndpoint(row);
    });
  }

  /** Replaces the signing secret; the new one is returned this once. Null for an unknown id. */
  async rotateSecret(id: string): Promise<{ endpoint: WebhookEndpoint; secret: string } | null> {
    if (!(await this.find(id))) return null;
    const secret = generateSigningSecret();
    return this.db.transaction(async (trx) => {
      const [row] = (await trx(ENDPOINTS_TABLE)
        .where('id', id)
        .update({ secret_sealed: this.box.seal(secret), updated_at: trx.fn.now() })
        .returning('*')) as EndpointRow[];
      if (!row) return null;
      // The field's name only: `fields: ['secret']`, never the secret.
      await this.audit(trx, id, ['secret']);
      return { endpoint: toEndpoint(row), secret };
    });
  }

  /** Deletes an endpoint and its deliveries (pending ones are not sent). */
  async delete(id: string): Promise<boolean> {
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) return false;
    return this.db.transaction(async (trx) => {
      const deleted = await trx(ENDPOINTS_TABLE).where('id', id).delete();
      if (deleted === 0) return false;
      await recordAudit(trx, { type: 'webhook.deleted', target: { type: 'webhook', id } });
      return true;
    });
  }

  /** Deliveries per status, per endpoint (every endpoint, with zeros). */
  async counts(): Promise<DeliveryCounts[]> {
    const [endpoints, counts] = await Promise.all([this.list(), deliveryCounts(this.db)]);
    const byId = new Map(counts.map((c) => [c.endpointId, c]));
    return endpoints.map(
      (e) => byId.get(e.id) ?? { endpointId: e.id, pending: 0, delivered: 0, dead: 0, oldestPendingAt: null },
    );
  }

  /** The latest deliveries of an endpoint, newest first. */
  deliveries(id: string, options: DeliveryListOptions = {}): Promise<WebhookDelivery[]> {
    return listDeliveries(this.db, id, options);
  }

  /** Puts settled deliveries of an endpoint back to pending; returns how many. */
  replay(id: string, selector: ReplaySelector): Promise<number> {
    return replayDeliveries(this.db, id, selector);
  }

  private async audit(trx: Knex.Transaction, id: string, fields: string[]): Promise<void> {
    await recordAudit(trx, { type: 'webhook.updated', target: { type: 'webhook', id }, data: { fields } });
  }
}
