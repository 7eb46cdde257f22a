/**
 * The outboxes: event webhooks (webhook_outbox, delivered by the webhook job with retries and
 * backoff; a row ends `delivered`, or `dead` after its last retry, kept for `gatehouse webhook
 * replay`) and back-channel logout tokens (backchannel_logout_outbox: a row leaves when delivered or
 * failed for good). A pending row that has waited for an hour means receivers are down or no node
 * delivers (a warning); for a day, that events are being lost to their receivers (serious).
 */
import {
  count,
  finding,
  formatAge,
  ok,
  warning,
  type CheckContext,
  type DatabaseCheck,
  type Finding,
  type Severity,
} from './finding';

export const OUTBOX_WARNING_AGE_MS = 3_600_000;
export const OUTBOX_SERIOUS_AGE_MS = 86_400_000;

interface Backlog {
  pending: number;
  oldest: Date | null;
}

async function backlog(ctx: CheckContext, table: string, pendingWhere: string): Promise<Backlog> {
  const { rows } = await ctx.db.raw<{ rows: { pending: string | number; oldest: Date | string | null }[] }>(
    `select count(*) as pending, min(created_at) as oldest from ?? where ${pendingWhere}`,
    [table],
  );
  const row = rows[0];
  return { pending: Number(row?.pending ?? 0), oldest: row?.oldest ? new Date(row.oldest) : null };
}

function ageSeverity(ageMs: number): Severity {
  if (ageMs > OUTBOX_SERIOUS_AGE_MS) return 'serious';
  return ageMs > OUTBOX_WARNING_AGE_MS ? 'warning' : 'ok';
}

function backlogFinding(ctx: CheckContext, check: string, what: string, b: Backlog): Finding {
  if (!b.pending || !b.oldest)
    return ok(check, `no ${what} pending`, { pending: 0, oldest_pending_at: null });
  const age = ctx.now.getTime() - b.oldest.getTime();
  const details = {
    pending: b.pending,
    oldest_pending_at: b.oldest.toISOString(),
    oldest_age_seconds: Math.round(age / 1000),
  };
  const severity = ageSeverity(age);
  const text = `${what} pending: ${b.pending}, the oldest for ${formatAge(age)}`;
  return finding(
    severity,
    check,
    severity === 'ok' ? text : `${text}: are the receivers down, or does no node deliver them?`,
    details,
  );
}

async function webhookOutbox(ctx: CheckContext): Promise<Finding[]> {
  if (!(await ctx.db.schema.hasTable('webhook_outbox'))) return [];
  const pending = await backlog(ctx, 'webhook_outbox', "status = 'pending'");
  const findings = [backlogFinding(ctx, 'outbox.webhooks', 'webhook deliveries', pending)];
  const dead = Number(
    (await ctx.db('webhook_outbox').where('status', 'dead').count<{ n: string }[]>({ n: '*' }))[0]?.n ?? 0,
  );
  findings.push(
    dead
      ? warning(
          'outbox.webhooks_dead',
          `${count(dead, 'webhook delivery', 'webhook deliveries')} failed their last retry: fix the receiver, then \`gatehouse webhook replay\``,
          { dead },
        )
      : ok('outbox.webhooks_dead', 'no dead webhook deliveries', { dead }),
  );
  return findings;
}

async function backchannelOutbox(ctx: CheckContext): Promise<Finding[]> {
  if (!(await ctx.db.schema.hasTable('backchannel_logout_outbox'))) return [];
  const pending = await backlog(ctx, 'backchannel_logout_outbox', 'true');
  return [backlogFinding(ctx, 'outbox.backchannel_logout', 'back-channel logout tokens', pending)];
}

export const outboxChecks: DatabaseCheck[] = [
  { name: 'outbox.webhooks', run: webhookOutbox },
  { name: 'outbox.backchannel_logout', run: backchannelOutbox },
];
