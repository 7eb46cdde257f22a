/**
 * The client registry. Metadata is stored with RFC 7591 names, exactly as oidc-provider reads it
 * through the Client adapter; the provider validates it when it loads a client.
 */
import { randomBytes } from 'node:crypto';
import type { ClientMetadata } from 'oidc-provider';
import type { Database } from '../db/database';

export type StoredClient = ClientMetadata & { client_id: string; first_party?: boolean };

interface ClientRow {
  client_id: string;
  metadata: StoredClient;
  created_at: Date;
  updated_at: Date;
}

/** A fresh client secret: 256 bits, base64url. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

export class ClientStore {
  constructor(private readonly db: Database) {}

  async findMetadata(clientId: string): Promise<StoredClient | null> {
    const row = await this.db<ClientRow>('clients').select('metadata').where('client_id', clientId).first();
    return row ? { ...row.metadata, client_id: clientId } : null;
  }

  /** Inserts or replaces a client's metadata. */
  async save(metadata: StoredClient): Promise<void> {
    await this.db('clients')
      .insert({ client_id: metadata.client_id, metadata: JSON.stringify(metadata) })
      .onConflict('client_id')
      .merge({ metadata: JSON.stringify(metadata), updated_at: new Date() });
  }

  /** Inserts a client; false when the id is taken. */
  async insert(metadata: StoredClient): Promise<boolean> {
    const rows = await this.db('clients')
      .insert({ client_id: metadata.client_id, metadata: JSON.stringify(metadata) })
      .onConflict('client_id')
      .ignore()
      .returning('client_id');
    return rows.length > 0;
  }

  async delete(clientId: string): Promise<boolean> {
    return (await this.db('clients').where('client_id', clientId).delete()) > 0;
  }

  async list(): Promise<StoredClient[]> {
    const rows = await this.db<ClientRow>('clients').select('client_id', 'metadata').orderBy('client_id');
    return rows.map((row) => ({ ...row.metadata, client_id: row.client_id }));
  }

  async count(): Promise<number> {
    const row = await this.db('clients').count<{ count: string | number }[]>({ count: '*' }).first();
    return Number(row?.count ?? 0);
  }
}
