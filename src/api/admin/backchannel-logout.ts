/**
 * GET /api/admin/backchannel-logout: what became of the back-channel logout tokens (OpenID Connect
 * Back-Channel Logout 1.0), per client: delivered, failed after every retry, attempts retried, and
 * pending in the outbox (oidc/backchannel-outbox.ts). Counted on every node into one table.
 */
import type { Context } from 'koa';
import { z } from 'zod';
import type { Database } from '../../db/database';
import { logoutCounts } from '../../oidc/backchannel-outbox';

export const backchannelLogoutCountsResponse = z.object({
  clients: z.array(
    z.object({
      client_id: z.string(),
      delivered: z.number().int().describe('logout tokens the client answered with 2xx'),
      failed: z.number().int().describe('logout tokens given up on after every retry'),
      retried: z.number().int().describe('attempts that failed and were tried again'),
      pending: z.number().int().describe('logout tokens waiting for their first attempt or a retry'),
    }),
  ),
});

export function getBackchannelLogoutCounts({ db }: { db: Database }) {
  return async function getBackchannelLogoutCounts(ctx: Context): Promise<void> {
    const counts = await logoutCounts(db);
    ctx.body = {
      clients: counts.map((c) => ({
        client_id: c.clientId,
        delivered: c.delivered,
        failed: c.failed,
        retried: c.retried,
        pending: c.pending,
      })),
    } satisfies z.infer<typeof backchannelLogoutCountsResponse>;
  };
}
