/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) in the audit trail: one
 * `session.ended` (reason `logout`) when the provider's end_session confirmation destroyed the
 * session. A provider middleware, after the library answered: its Session model destroys the row
 * (lib/actions/end_session.js), and the same adapter call also drops the old row at every sign-in
 * (lib/models/session.js resetIdentifier), so the adapter cannot tell a logout from a new sign-in.
 * Here only the confirmation that destroyed a signed-in session is recorded, once; the other ways
 * a session ends are recorded in the transaction that deletes it (sessions.ts).
 */
import type { Context, Next } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Database } from '../db/database';
import type { Logger } from '../log';
import { recordSessionsEnded } from './sessions';

export function recordLogouts(deps: { db: Database; logger: Logger }) {
  return async function recordLogouts(ctx: Context, next: Next): Promise<void> {
    await next();
    const { oidc } = ctx as Context & { oidc?: KoaContextWithOIDC['oidc'] };
    if (oidc?.route !== 'end_session_confirm') return;
    const session = oidc.session as (typeof oidc.session & { destroyed?: boolean }) | undefined;
    if (!session?.destroyed || !session.accountId || !session.uid) return;
    const ended = { uid: session.uid, payload: { authorizations: session.authorizations ?? {} } };
    try {
      const { accountId } = session;
      await deps.db.transaction((trx) => recordSessionsEnded(trx, accountId, [ended], 'logout'));
    } catch (err) {
      // The logout happened; its answer is not to fail for want of an audit row.
      deps.logger.error({ err }, 'session.ended not recorded');
    }
  };
}
