/**
 * Reading the audit trail in the audit tests (test/audit/*.test.ts): the rows of one type or about
 * one target, oldest first, what one action added, and the headers that name a request
 * (X-Request-Id, User-Agent).
 */
import type { Database } from '../../src/db/database';

export interface AuditRow {
  id: string;
  type: string;
  actor_type: string;
  actor_id: string | null;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  data: Record<string, unknown>;
}

/** The rows that match `where` (column: value), oldest first (jsonb `data` parsed on both databases). */
export async function auditRowsWhere(db: Database, where: Partial<AuditRow>): Promise<AuditRow[]> {
  const rows = (await db('audit_events').where(where).orderBy('id')) as AuditRow[];
  return rows.map((row) => ({
    ...row,
    id: String(row.id),
    data: typeof row.data === 'string' ? (JSON.parse(row.data) as Record<string, unknown>) : row.data,
  }));
}

/** The rows of `type`, oldest first. */
export function auditRows(db: Database, type: string): Promise<AuditRow[]> {
  return auditRowsWhere(db, { type });
}

/** What one action added: the rows of `type` written while `action` ran. */
export async function rowsAdded(
  db: Database,
  type: string,
  action: () => Promise<unknown>,
): Promise<AuditRow[]> {
  const before = (await auditRows(db, type)).map((row) => row.id);
  await action();
  return (await auditRows(db, type)).filter((row) => !before.includes(row.id));
}

/** The one row of `type` an action wrote, after checking it wrote exactly one. */
export async function onlyRow(db: Database, type: string, action: () => Promise<unknown>): Promise<AuditRow> {
  const added = await rowsAdded(db, type, action);
  expect(added).toHaveLength(1);
  return added[0]!;
}

/**
 * The one row of `type` a request wrote (answered `status`), after checking that the same request
 * sent again (a replayed link, a second revocation or sign-out) wrote none.
 */
export async function onlyOnce(
  db: Database,
  type: string,
  send: () => Promise<{ status: number }>,
  status: number,
): Promise<AuditRow> {
  const row = await onlyRow(db, type, async () => {
    expect((await send()).status).toBe(status);
  });
  expect(await rowsAdded(db, type, send)).toHaveLength(0);
  return row;
}

let requests = 0;

/** Headers naming a request: a fresh X-Request-Id (returned) and a recognisable User-Agent. */
export function traced(label: string): { id: string; headers: Record<string, string> } {
  requests += 1;
  const id = `${label}-${process.pid}-${requests}`;
  return { id, headers: { 'x-request-id': id, 'user-agent': `audit-test/${label}` } };
}
