/**
 * Remembered consent: what an account allowed a client (OIDC scopes, claims, resource scopes per
 * resource indicator, RFC 8707) and when, one row per account and client in `consents`. It outlives
 * the browser session and the Grant (oidc-provider's Grants expire with their tokens): the provider's
 * `loadExistingGrant` builds a new Grant from it, so a new session goes straight through for what was
 * allowed before, and asks only for what is new.
 *
 * Only clients that are rows of `clients` have consents (the column references it, so a deleted
 * client takes its consents along); first-party clients are never asked, and never recorded.
 * Revoking one also ends what was issued under it: the provider's state is not this module's to
 * know, so the composition root hands in `revokeClientState`.
 */
import type { Database } from '../db/database';
import { isStorableText } from '../db/text';
import { recordAudit } from '../audit/record';

export interface Consent {
  clientId: string;
  /** The client's client_name, when it has one (joined from the clients table). */
  clientName: string | null;
  /** OIDC scopes allowed, e.g. ['openid', 'profile', 'offline_access']. */
  scopes: string[];
  claims: string[];
  /** Resource scopes allowed per resource indicator (RFC 8707). */
  resourceScopes: Record<string, string[]>;
  /** When first allowed; updatedAt: when last widened. */
  grantedAt: Date;
  updatedAt: Date;
}

export interface ConsentAllowed {
  scopes: string[];
  claims: string[];
  resourceScopes: Record<string, string[]>;
}

/**
 * Ends the grants and tokens of (account, client) and the client's part of the account's sessions,
 * inside the transaction that deleted the consent. Returns how many rows it changed.
 */
export type RevokeClientState = (trx: Database, accountId: string, clientId: string) => Promise<number>;

interface ConsentRow {
  client_id: string;
  client_name: string | null;
  scopes: string[];
  claims: string[];
  resource_scopes: Record<string, string[]>;
  granted_at: Date;
  updated_at: Date;
}

/** The column's length (the migration's `string('client_id', 255)`). */
const MAX_CLIENT_ID_LENGTH = 255;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a pair can name a row at all; anything else is simply not found (never a database error). */
function storableKey(accountId: string, clientId: string): boolean {
  return (
    UUID.test(accountId) &&
    typeof clientId === 'string' &&
    clientId.length > 0 &&
    clientId.length <= MAX_CLIENT_ID_LENGTH &&
    isStorableText(clientId)
  );
}

function toConsent(row: ConsentRow): Consent {
  return {
    clientId: row.client_id,
    clientName: row.client_name,
    scopes: row.scopes,
    claims: row.claims,
    resourceScopes: row.resource_scopes,
    grantedAt: row.granted_at,
    updatedAt: row.updated_at,
  };
}

/** Distinct, sorted, without empty strings: the stored form of a list. */
function normalized(values: readonly string[]): string[] {
  return [...new Set(values.filter((value) => typeof value === 'string' && value))].sort();
}

/** The union of a jsonb array column and the new array, distinct and sorted. */
const unionArray = (column: string) =>
  `(select coalesce(jsonb_agg(distinct v order by v), '[]'::jsonb)
     from jsonb_array_elements_text(consents.${column} || excluded.${column}) as v)`;

/**
 * Inserts the consent, or widens the stored one by the union of both, in one statement: the row
 * lock of ON CONFLICT DO UPDATE makes a racing remember re-read the row the other committed, so two
 * at once lose nothing. `where exists`: a client that is not a row of `clients` (one of the
 * provider's static clients) stores nothing instead of failing the foreign key. The update is
 * skipped when the stored consent holds everything already (jsonb `@>` compares nested arrays by
 * containment), so `updated_at` says when it was last widened.
 */
const REMEMBER = `insert into consents (account_id, client_id, scopes, claims, resource_scopes)
  select ?, ?, ?::jsonb, ?::jsonb, ?::jsonb
  where exists (select 1 from clients where client_id = ?)
  on conflict (account_id, client_id) do update set
    scopes = ${unionArray('scopes')},
    claims = ${unionArray('claims')},
    resource_scopes = (
      select coalesce(jsonb_object_agg(indicator, scopes), '{}'::jsonb) from (
        select indicator, jsonb_agg(distinct scope order by scope) as scopes
        from (
          select key as indicator, jsonb_array_elements_text(value) as scope
            from jsonb_each(consents.resource_scopes)
          union all
          select key, jsonb_array_elements_text(value) from jsonb_each(excluded.resource_scopes)
        ) as pairs
        group by indicator
      ) as merged
    ),
    updated_at = now()
  where not (consents.scopes @> excluded.scopes and consents.claims @> excluded.claims
    and consents.resource_scopes @> excluded.resource_scopes)`;

export class ConsentStore {
  constructor(
    private readonly db: Database,
    private readonly revokeClientState: RevokeClientState = async () => 0,
  ) {}

  private select() {
    return this.db('consents as c')
      .leftJoin('clients as k', 'k.client_id', 'c.client_id')
      .select(
        'c.client_id',
        this.db.raw(`k.metadata->>'client_name' as client_name`),
        'c.scopes',
        'c.claims',
        'c.resource_scopes',
        'c.granted_at',
        'c.updated_at',
      );
  }

  async find(accountId: string, clientId: string): Promise<Consent | null> {
    if (!storableKey(accountId, clientId)) return null;
    const row = (await this.select()
      .where({ 'c.account_id': accountId, 'c.client_id': clientId })
      .first()) as ConsentRow | undefined;
    return row ? toConsent(row) : null;
  }

  /** Newest updatedAt first. */
  async list(accountId: string): Promise<Consent[]> {
    if (!UUID.test(accountId)) return [];
    const rows = (await this.select()
      .where('c.account_id', accountId)
      .orderBy([
        { column: 'c.updated_at', order: 'desc' },
        { column: 'c.client_id', order: 'asc' },
      ])) as ConsentRow[];
    return rows.map(toConsent);
  }

  /** Adds (union) to what is stored, or stores it; one statement (upsert). */
  async remember(accountId: string, clientId: string, allowed: ConsentAllowed): Promise<void> {
    if (!storableKey(accountId, clientId)) return;
    const resourceScopes: Record<string, string[]> = {};
    for (const [indicator, scopes] of Object.entries(allowed.resourceScopes)) {
      const kept = normalized(scopes);
      if (kept.length) resourceScopes[indicator] = kept;
    }
    const scopes = normalized(allowed.scopes);
    await this.db.transaction(async (trx) => {
      const result = await trx.raw<{ rows: unknown[] }>(`${REMEMBER} returning client_id`, [
        accountId,
        clientId,
        JSON.stringify(scopes),
        JSON.stringify(normalized(allowed.claims)),
        JSON.stringify(resourceScopes),
        clientId,
      ]);
      // Recorded when the consent was stored or widened; one that held it all already changed nothing.
      if (result.rows.length)
        await recordAudit(trx, {
          type: 'consent.granted',
          actor: { type: 'account', id: accountId },
          target: { type: 'account', id: accountId },
          data: { client_id: clientId, scopes, resources: Object.keys(resourceScopes).sort() },
        });
    });
  }

  /**
   * Deletes the consent and, in the same transaction, the grants/tokens of (account, client) and
   * the client's part of the account's sessions. False: there was no consent.
   */
  async revoke(accountId: string, clientId: string): Promise<boolean> {
    if (!storableKey(accountId, clientId)) return false;
    return this.db.transaction(async (trx) => {
      const deleted = await trx('consents').where({ account_id: accountId, client_id: clientId }).delete();
      if (!deleted) return false;
      await this.revokeClientState(trx, accountId, clientId);
      await recordAudit(trx, {
        type: 'consent.revoked',
        target: { type: 'account', id: accountId },
        data: { client_id: clientId },
      });
      return true;
    });
  }
}
