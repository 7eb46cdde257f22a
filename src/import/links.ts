/**
 * What an import created from which source row, so that a second run updates what the first created
 * (and skips what must not come back, such as a refresh token Gatehouse has rotated since) instead of
 * creating it again. One row per (source, kind, source key); `target_id` is Gatehouse's id for it (an
 * account id, a client id, a role name, a token's id).
 */
import type { Knex } from 'knex';
import type { Database } from '../db/database';

export type LinkKind = 'group' | 'user' | 'application' | 'access_token' | 'refresh_token';

export interface ImportLink {
  sourceKey: string;
  targetId: string;
}

export class ImportLinks {
  constructor(
    private readonly db: Database | Knex.Transaction,
    /** The source's name: `django` for `gatehouse import django`. */
    readonly source: string,
  ) {}

  /** The same links, read and written inside a transaction. */
  in(trx: Knex.Transaction): ImportLinks {
    return new ImportLinks(trx, this.source);
  }

  /** Every link of a kind: source key -> target id. */
  async all(kind: LinkKind): Promise<Map<string, string>> {
    const rows: { source_key: string; target_id: string }[] = await this.db('import_links')
      .select('source_key', 'target_id')
      .where({ source: this.source, kind });
    return new Map(rows.map((row) => [row.source_key, row.target_id]));
  }

  /** Records links (inserted, or re-pointed when the source key was linked before). */
  async record(kind: LinkKind, links: ImportLink[]): Promise<void> {
    const now = new Date();
    // Bounded batches: PostgreSQL takes at most 65535 bound parameters per statement.
    for (let i = 0; i < links.length; i += 1000) {
      const rows = links.slice(i, i + 1000).map((link) => ({
        source: this.source,
        kind,
        source_key: link.sourceKey,
        target_id: link.targetId,
        imported_at: now,
        updated_at: now,
      }));
      await this.db('import_links')
        .insert(rows)
        .onConflict(['source', 'kind', 'source_key'])
        .merge(['target_id', 'updated_at']);
    }
  }
}
