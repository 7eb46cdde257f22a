/**
 * The shapes of the audit trail's route (/api/admin/audit), read by the same OpenAPI generator as
 * schemas.ts. Types only: what a type filter, a time or a cursor may be is audit/query.ts's to say,
 * with per-parameter details under the same names.
 */
import { z } from 'zod';
import { DEFAULT_AUDIT_LIMIT, MAX_AUDIT_LIMIT } from '../audit/query';

export const AUDIT_PATH = '/api/admin/audit';

export const listAuditQuery = z.strictObject({
  type: z.string().max(80).optional().describe('an event type (user.created), or a prefix (user.*)'),
  actor: z.string().max(255).optional().describe("the actor's id: an account id, a client id, an OS user"),
  since: z.string().max(40).optional().describe('ISO 8601: events at or after this time'),
  until: z.string().max(40).optional().describe('ISO 8601: events before this time'),
  cursor: z.string().max(40).optional().describe('the next_cursor of the previous page'),
  limit: z
    .string()
    .max(4)
    .optional()
    .describe(`events per page, 1 to ${MAX_AUDIT_LIMIT}; ${DEFAULT_AUDIT_LIMIT} unless given`),
});

const reference = z.object({ type: z.string(), id: z.string().nullable() });

export const auditEventResponse = z.object({
  id: z.string().describe('increasing in the order events were recorded'),
  type: z.string(),
  occurred_at: z.string().describe('RFC 3339 date-time'),
  actor: reference.describe('account, client, cli (the OS user), system or anonymous'),
  target: reference.nullable(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  request_id: z.string().nullable(),
  data: z
    .record(z.string(), z.unknown())
    .describe('details: a reason, the names of fields changed; never a secret'),
});

export const auditListResponse = z.object({
  events: z.array(auditEventResponse).describe('newest first'),
  next_cursor: z.string().nullable().describe('the cursor of the next (older) page; null on the last'),
});
