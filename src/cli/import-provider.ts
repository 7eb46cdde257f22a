/**
 * The provider an import writes tokens through (`gatehouse import django`, src/import/django/
 * tokens.ts): built as a node builds it (oidc/provider.ts createProvider, the same configuration:
 * lifetimes, scopes, EXTRA_SCOPES), never started. Required only by the import, when it writes
 * tokens, so that the rest of the CLI starts without loading oidc-provider:
 *
 *   const { createTokenWriter } = require('../import-provider') as typeof import('../import-provider');
 *   const writer = createTokenWriter(await ctx.services());
 *   await importDjangoTokens(writer, snapshot, targets, { dryRun });
 *
 * Each transaction gets a provider of its own whose adapter writes through that transaction (the
 * adapter takes any knex, a transaction included), so the tokens of one kind and their import links
 * are written all or nothing. Clients are read outside it, before it starts: the embedded database
 * has one connection, which the transaction holds.
 *
 * An import signs nothing (its tokens are opaque), so the provider holds throwaway keys of the
 * algorithms every server has, as the CLI's client schema check does (cli/client-schema.ts): they
 * decide only which signing algorithms a client's metadata may name when the provider loads it.
 */
import type { Client, Provider } from 'oidc-provider';
import type { StoredClient } from '../clients/store';
import type { Database } from '../db/database';
import type { TokenWriter } from '../import/django/tokens';
import { ImportLinks } from '../import/links';
import { clientFromMetadata, saveTokenWithValue } from '../oidc/internals';
import { buildConfiguration, createProvider } from '../oidc/provider';
import type { Services } from '../services';
import { throwawayKeys } from './client-schema';

// Any constant of its own (KeyStore's is 72616401).
const IMPORT_TOKENS_LOCK = 72616416;

/** The token writer of `gatehouse import django` on these services (the CLI's, or a node's in tests). */
export function createTokenWriter(services: Services): TokenWriter {
  const { config } = services;
  const keys = throwawayKeys('import');
  const providerOn = (db: Database): Provider => createProvider(config, { ...services, db, keys });
  const reader = providerOn(services.db);
  // The scopes the provider is configured with (what a node's provider knows, EXTRA_SCOPES included).
  const scopes = buildConfiguration(config, { ...services, keys }).scopes ?? [];
  const links = new ImportLinks(services.db, 'django');
  return {
    links,
    knownScopes: new Set(scopes),
    lifetimes: { refreshToken: config.ttl.refreshToken, grant: config.ttl.grant },
    async findClient(clientId: string, planned?: StoredClient): Promise<Client | undefined> {
      try {
        const stored = await reader.Client.find(clientId);
        if (stored || !planned) return stored;
        // A dry run: the client this run would create, as the provider would load it.
        return await clientFromMetadata(reader, planned);
      } catch {
        // Metadata the provider refuses to load (lib/models/client.js): no token of it could work.
        return undefined;
      }
    },
    transaction(work) {
      return services.db.transaction(async (trx) => {
        // One import writes tokens at a time (PostgreSQL §9.27.10 advisory locks, held to the commit):
        // a second run waits, then reads the links the first wrote.
        await trx.raw('select pg_advisory_xact_lock(?)', [IMPORT_TOKENS_LOCK]);
        const models = providerOn(trx);
        return work({ models, links: links.in(trx), saveWithValue: saveTokenWithValue });
      });
    },
  };
}
