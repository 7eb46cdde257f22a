/**
 * Reading the audit trail (audit_events): the admin API's `GET /api/admin/audit` and the CLI's
 * `gatehouse audit list` page through it newest first, `gatehouse audit tail` follows it oldest
 * first. Both go by the bigserial id, the order events were recorded in, through the indexes the
 * migration made for each filter ((type, id), (actor_id, id), (occurred_at, id)).
 *
 * The cursor is opaque to callers (base64url of the last id seen), so a page boundary never skips
 * or repeats an event even when several share a timestamp. Filters are checked here, once, for the
 * API and the CLI alike: a bad value is a 400 naming the parameter, never a failed query.
 */
import type { Database } from '../db/database';
import { badRequest, type FieldErrors } from '../errors';
import { AUDIT_EVENT_TYPES, isAuditEventType, type Actor, type ActorType, type TargetType } from './types';

export const DEFAULT_AUDIT_LIMIT = 50;
export const MAX_AUDIT_LIMIT = 200;

export interface AuditEvent {
  id: string;
  type: string;
  occurredAt: Date;
  actor: Actor;
  target: { type: TargetType; id: string | null } | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  data: Record<string, unknown>;
}

/** A checked filter (parseAuditFilter). */
export interface AuditFilter {
  /** An exact type, or the prefix of `user.*` (the part before the star, with its dot). */
  type?: { exact: string } | { prefix: string };
  /** The actor's id (an account id, a client id, an OS user name). */
  actor?: string;
  /** Events at or after this time. */
  since?: Date;
  /** Events before this time. */
  until?: Date;
  /** Events older than this id (the cursor of the previous page). */
  before?: string;
  limit: number;
}

/** What a caller hands in: the query string's values, or the CLI's options, all text. */
export interface RawAuditFilter {
  type?: unknown;
  actor?: unknown;
  since?: unknown;
  until?: unknown;
  cursor?: unknown;
  limit?: unknown;
}

export interface AuditPage {
  events: AuditEvent[];
  /** The cursor of the next (older) page; null on the last page. */
  nextCursor: string | null;
}

const MAX_ACTOR_LENGTH = 255;
/** ISO 8601 / RFC 3339: a date, or a date-time with seconds optional, fraction, and a zone or none. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
const ID = /^[1-9]\d{0,18}$/;

export function encodeAuditCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/** The id a cursor stands for, or null for anything that is not one of ours. */
export function decodeAuditCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(cursor)) return null;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  return ID.test(id) && encodeAuditCursor(id) === cursor ? id : null;
}

function typeFilter(value: string): AuditFilter['type'] | string {
  if (value.endsWith('.*')) {
    const prefix = value.slice(0, -1);
    return AUDIT_EVENT_TYPES.some((type) => type.startsWith(prefix))
      ? { prefix }
      : 'no event type has this prefix';
  }
  return isAuditEventType(value)
    ? { exact: value }
    : 'unknown event type (an exact type, or a prefix like user.*)';
}

function timeOf(value: string): Date | null {
  if (!ISO_TIME.test(value)) return null;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? null : time;
}

/**
 * Checks raw filter values (absent or '' means no filter). Throws a 400 `invalid_request` whose
 * details name every bad parameter.
 */
export function parseAuditFilter(raw: RawAuditFilter): AuditFilter {
  const problems: FieldErrors = {};
  const filter: AuditFilter = { limit: DEFAULT_AUDIT_LIMIT };
  const text = (name: keyof RawAuditFilter): string | undefined => {
    const value = raw[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') {
      problems[name] = 'must be given once, as text';
      return undefined;
    }
    return value;
  };
  const type = text('type');
  if (type !== undefined) {
    const parsed = typeFilter(type);
    if (typeof parsed === 'string') problems.type = parsed;
    else filter.type = parsed;
  }
  const actor = text('actor');
  if (actor !== undefined) {
    if (actor.length > MAX_ACTOR_LENGTH || actor.includes('\u0000'))
      problems.actor = `must be at most ${MAX_ACTOR_LENGTH} characters`;
    else filter.actor = actor;
  }
  for (const name of ['since', 'until'] as const) {
    const value = text(name);
    if (value === undefined) continue;
    const time = timeOf(value);
    if (time) filter[name] = time;
    else problems[name] = 'must be an ISO 8601 time, e.g. 2026-12-01T00:00:00Z';
  }
  if (filter.since && filter.until && filter.since >= filter.until) problems.until = 'must be after since';
  const cursor = text('cursor');
  if (cursor !== undefined) {
    const id = decodeAuditCursor(cursor);
    if (id) filter.before = id;
    else problems.cursor = 'is not a cursor this API handed out';
  }
  const limit = text('limit');
  if (limit !== undefined) {
    const n = /^\d{1,4}$/.test(limit) ? Number(limit) : NaN;
    if (Number.isInteger(n) && n >= 1 && n <= MAX_AUDIT_LIMIT) filter.limit = n;
    else problems.limit = `must be a whole number from 1 to ${MAX_AUDIT_LIMIT}`;
  }
  if (Object.keys(problems).length) throw badRequest('the query is invalid', problems);
  return filter;
}

interface AuditRow {
  id: string | number | bigint;
  type: string;
  occurred_at: Date | string;
  actor_type: ActorType;
  actor_id: string | null;
  target_type: TargetType | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  data: Record<string, unknown> | string | null;
}

function toEvent(row: AuditRow): AuditEvent {
  const data = typeof row.data === 'string' ? (JSON.parse(row.data) as Record<string, unknown>) : row.data;
  return {
    id: String(row.id),
    type: row.type,
    occurredAt: new Date(row.occurred_at),
    actor: { type: row.actor_type, id: row.actor_id },
    target: row.target_type ? { type: row.target_type, id: row.target_id } : null,
    ip: row.ip,
    userAgent: row.user_agent,
    requestId: row.request_id,
    data: data ?? {},
  };
}

/** `_` and `%` are LIKE wildcards; event types hold `_` (service_key.*). */
function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export class AuditLog {
  constructor(private readonly db: Database) {}

  private select(filter: Pick<AuditFilter, 'type'>) {
    const query = this.db<AuditRow>('audit_events').select('*');
    if (filter.type && 'exact' in filter.type) query.where('type', filter.type.exact);
    else if (filter.type) query.whereRaw('type like ?', [`${escapeLike(filter.type.prefix)}%`]);
    return query;
  }

  /** One page, newest first, and the cursor of the next one. */
  async list(filter: AuditFilter): Promise<AuditPage> {
    const query = this.select(filter)
      .orderBy('id', 'desc')
      .limit(filter.limit + 1);
    if (filter.actor !== undefined) query.where('actor_id', filter.actor);
    if (filter.since) query.where('occurred_at', '>=', filter.since);
    if (filter.until) query.where('occurred_at', '<', filter.until);
    if (filter.before) query.where('id', '<', filter.before);
    // One more than a page tells whether another page follows.
    const rows = await query;
    const events = rows.slice(0, filter.limit).map(toEvent);
    const last = events[events.length - 1];
    return { events, nextCursor: rows.length > filter.limit && last ? encodeAuditCursor(last.id) : null };
  }

  /** Events recorded after the one with id `afterId` ('0': from the start), oldest first: the tail. */
  async after(
    afterId: string,
    options: { type?: AuditFilter['type']; limit?: number } = {},
  ): Promise<AuditEvent[]> {
    const rows = await this.select(options)
      .where('id', '>', afterId)
      .orderBy('id', 'asc')
      .limit(options.limit ?? MAX_AUDIT_LIMIT);
    return rows.map(toEvent);
  }
}

/** The wire shape of an event (the admin API and the CLI's --json). */
export function auditEventView(event: AuditEvent) {
  return {
    id: event.id,
    type: event.type,
    occurred_at: event.occurredAt.toISOString(),
    actor: event.actor,
    target: event.target,
    ip: event.ip,
    user_agent: event.userAgent,
    request_id: event.requestId,
    data: event.data,
  };
}
