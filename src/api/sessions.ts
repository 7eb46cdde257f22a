/**
 * The provider's sessions (the `Session` model in oidc_payloads) of one account that include one
 * client. The provider looks sessions up only by cookie id or uid, so this reads the payload; it runs
 * on logout only, never on the hot path.
 */
import type { Provider } from 'oidc-provider';
import type { Database } from '../db/database';

export async function findSessionIds(db: Database, accountId: string, clientId: string): Promise<string[]> {
  const rows: { id: string }[] = await db('oidc_payloads')
    .select('id')
    .where('model', 'Session')
    .whereRaw(`payload->>'accountId' = ?`, [accountId])
    .whereRaw(`payload->'authorizations'->? is not null`, [clientId]);
  return rows.map((row) => row.id);
}

/**
 * Ends the account's sessions that include the client: the session is destroyed (the user signs in
 * again before that client gets new tokens), as RP-initiated logout does (lib/actions/end_session.js).
 */
export async function endSessionsForClient(
  provider: Provider,
  db: Database,
  accountId: string,
  clientId: string,
): Promise<number> {
  const ids = await findSessionIds(db, accountId, clientId);
  await Promise.all(ids.map((id) => provider.Session.adapter.destroy(id)));
  return ids.length;
}
