/**
 * What the tables hold: their sizes on disk (pg_total_relation_size: table, indexes and TOAST; the
 * embedded PGlite answers it too), and the expired rows the purge job (jobs/purge.ts) has yet to
 * delete, counted with the purge's own conditions. Expired rows pile up when PURGE_INTERVAL=0 and
 * nothing runs `gatehouse db purge`, or when the purge falls behind: the tables grow unseen.
 */
import type { Knex } from 'knex';
import { SETTLED_RETENTION_DAYS } from '../../audit/webhook-outbox';
import type { Database } from '../../db/database';
import { ok, warning, type CheckContext, type DatabaseCheck, type Finding } from './finding';

/** Above this many expired rows in one table, the purge is behind (a tick deletes 20 batches of 1000). */
export const PURGE_BACKLOG_THRESHOLD = 10_000;
/** Counting stops here: the doctor must not scan what the purge is there to delete. */
const COUNT_CAP = 100_000;

const DAY_MS = 86_400_000;

/** The rows each purger deletes (jobs/purge.ts and the stores' batch deleters), as SQL conditions. */
function expiredConditions(ctx: CheckContext): Record<string, [sql: string, bindings: Knex.Value[]]> {
  const now = ctx.now.getTime();
  const at = (ms: number) => new Date(ms);
  return {
    oidc_payloads: ['expires_at < ?', [at(now)]],
    login_throttle: [
      'window_started_at < ? and (locked_until is null or locked_until < ?)',
      [at(now - DAY_MS), at(now)],
    ],
    otp_codes: ['requested_at < ? and expires_at < ?', [at(now - 3_600_000), at(now)]],
    rate_limits: ['expire < ?', [now]],
    webauthn_challenges: ['expires_at < ?', [at(now)]],
    action_tokens: ['expires_at < ?', [at(now - DAY_MS)]],
    audit_events: ['occurred_at < ?', [at(now - ctx.config.audit.retentionDays * DAY_MS)]],
    // Delivered and dead deliveries are kept a while for replay (audit/webhook-outbox.ts).
    webhook_outbox: [
      "status in ('delivered', 'dead') and settled_at < ?",
      [at(now - SETTLED_RETENTION_DAYS * DAY_MS)],
    ],
  };
}

async function countUpTo(
  db: Database,
  table: string,
  where: string,
  bindings: Knex.Value[],
): Promise<number> {
  const { rows } = await db.raw<{ rows: { n: number | string }[] }>(
    `select count(*) as n from (select 1 from ?? where ${where} limit ?) capped`,
    [table, ...bindings, COUNT_CAP + 1],
  );
  return Number(rows[0]?.n ?? 0);
}

const countText = (n: number) => (n > COUNT_CAP ? `more than ${COUNT_CAP}` : String(n));

async function purgeBacklog(ctx: CheckContext): Promise<Finding[]> {
  const counts: Record<string, number> = {};
  for (const [table, [where, bindings]] of Object.entries(expiredConditions(ctx))) {
    // A table a pending migration creates is not there yet (database.migrations says so).
    if (!(await ctx.db.schema.hasTable(table))) continue;
    counts[table] = await countUpTo(ctx.db, table, where, bindings);
  }
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  const behind = Object.entries(counts).filter(([, n]) => n > PURGE_BACKLOG_THRESHOLD);
  const details = { tables: counts, threshold: PURGE_BACKLOG_THRESHOLD, count_cap: COUNT_CAP };
  const findings: Finding[] = [];
  const listed = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([table, n]) => `${table} ${countText(n)}`)
    .join(', ');
  if (behind.length)
    findings.push(
      warning(
        'purge.backlog',
        `expired rows waiting for purge: ${behind.map(([t, n]) => `${t} ${countText(n)}`).join(', ')} ` +
          `(more than ${PURGE_BACKLOG_THRESHOLD} each): run \`gatehouse db purge\``,
        details,
      ),
    );
  else
    findings.push(
      ok('purge.backlog', total ? `expired rows waiting for purge: ${listed}` : 'no expired rows', details),
    );
  const production = ctx.config.env === 'production';
  if (ctx.config.purgeIntervalSeconds === 0 && (production || total > 0))
    findings.push(
      warning(
        'purge.disabled',
        `the purge job is off (PURGE_INTERVAL=0)${total ? ` and ${countText(total)} expired rows wait` : ''}: ` +
          'set PURGE_INTERVAL, or run `gatehouse db purge` on a schedule',
        { expired: total },
      ),
    );
  return findings;
}

interface TableSize {
  table: string;
  bytes: number;
  /** The planner's estimate (pg_class.reltuples); null before the table was first analyzed. */
  rows_estimate: number | null;
}

/** 1536 -> `1.5 kB`; powers of 1000, as `pg_size_pretty` is not (it uses 1024 and says kB). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

async function tableSizes(ctx: CheckContext): Promise<Finding[]> {
  const { rows } = await ctx.db.raw<{ rows: { table: string; bytes: string; reltuples: number }[] }>(
    `select c.relname as "table", pg_total_relation_size(c.oid) as bytes, c.reltuples
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind in ('r', 'p')
      order by pg_total_relation_size(c.oid) desc, c.relname`,
  );
  const tables: TableSize[] = rows.map((r) => ({
    table: r.table,
    bytes: Number(r.bytes),
    rows_estimate: Number(r.reltuples) >= 0 ? Math.round(Number(r.reltuples)) : null,
  }));
  const total = tables.reduce((sum, t) => sum + t.bytes, 0);
  const largest = tables
    .slice(0, 3)
    .map((t) => `${t.table} ${formatBytes(t.bytes)}`)
    .join(', ');
  return [
    ok(
      'database.tables',
      `${tables.length} tables, ${formatBytes(total)} in all${largest ? `; largest: ${largest}` : ''}`,
      { total_bytes: total, tables },
    ),
  ];
}

export const storageChecks: DatabaseCheck[] = [
  { name: 'database.tables', run: tableSizes },
  { name: 'purge.backlog', run: purgeBacklog },
];
