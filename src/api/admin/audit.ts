/**
 * `GET /api/admin/audit`: the audit trail, newest first, a page at a time (cursor pagination), by
 * type (exact or `user.*`), actor and time; the same reading as `gatehouse audit list`.
 */
import type { Context } from 'koa';
import { auditEventView, parseAuditFilter, type AuditLog } from '../../audit/query';
import { listAuditQuery } from '../audit-schemas';
import { validateQuery } from '../validation';

export function listAuditEvents({ audit }: { audit: Pick<AuditLog, 'list'> }) {
  return async function listAuditEvents(ctx: Context): Promise<void> {
    const filter = parseAuditFilter(validateQuery(ctx, listAuditQuery));
    const page = await audit.list(filter);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { events: page.events.map(auditEventView), next_cursor: page.nextCursor };
  };
}
