/**
 * django-oauth-toolkit's live tokens, carried over so that nobody is signed out on cut-over day.
 *
 * Each token is written through oidc-provider's own models (its docs, "Custom Grant Types": Grant,
 * AccessToken, RefreshToken, ClientCredentials), keeping DOT's value: an opaque token's value is its
 * id (lib/models/formats/opaque.js), so a model given DOT's token as its id is found by it. What
 * each keeps:
 * - an access token: its value, scope, `expires` (as exp), client and account; in the Grant of its
 *   refresh token's chain, or in a Grant of its own (tokens-plan.ts);
 * - a refresh token: its value, scope, client and account, in a Grant that holds the chain's scopes
 *   (the refresh_token grant issues only scopes the Grant holds: lib/actions/grants/refresh_token.js
 *   `grant.getOIDCScopeFiltered`), rotated from then on as Gatehouse's are. DOT's refresh tokens do
 *   not expire; here they live REFRESH_TOKEN_TTL from the import, in a Grant that lives at least as
 *   long (the Grant's lifetime bounds every token in it, and refreshing never extends it);
 * - a client-credentials token (no user): its value, scope, expiry and client.
 * Tokens of a user come from a sign-in at Django whose methods are unknown beyond a password (its
 * login form, the password grant), so they say `amr: ['pwd']` at one factor (RFC 8176 §2), as
 * Gatehouse's own password sign-ins do.
 *
 * Idempotent through ImportLinks: a token linked by an earlier run is never written again, so one
 * Gatehouse has rotated, consumed or revoked since stays so; one that DOT has revoked since (DOT was
 * still serving between two runs) is revoked here too, never brought back. The links record a digest of the value
 * (no usable token is kept beside the live rows), so a DOT row whose value changed is taken as new.
 * Nothing here loads oidc-provider (type imports only): the writer, built where the provider is
 * (cli/import-provider.ts), brings the models.
 */
import type { Client } from 'oidc-provider';
import type { StoredClient } from '../../clients/store';
import type { ImportLink, ImportLinks } from '../links';
import type { DjangoRefreshToken, DjangoSnapshot } from './source';
import {
  planTokens,
  type PlannedChain,
  type PlannedClientCredentials,
  type TokenImportTargets,
  type TokenPlan,
} from './tokens-plan';
import {
  epoch,
  isLinked,
  revokeCarried,
  writeChain,
  writeClientCredentials,
  type TokenWriter,
} from './tokens-write';

export type { TokenImportTargets } from './tokens-plan';
export type { TokenModels, TokenTransaction, TokenWriter } from './tokens-write';

export interface TokenImportReport {
  accessTokens: { imported: number; unchanged: number };
  refreshTokens: { imported: number; unchanged: number };
  clientCredentials: { imported: number; unchanged: number };
  skipped: { expired: number; revoked: number; unknownClient: number; unknownUser: number };
  /**
   * Refresh tokens an earlier run carried over that DOT has revoked since (rotated there, or revoked
   * by their client): revoked at Gatehouse too, with their Grant, as DOT revoked their access token.
   */
  revokedSinceImport: number;
  /** Scopes on carried tokens that the provider does not know (EXTRA_SCOPES does not list them). */
  unknownScopes: string[];
}

export interface TokenImportOptions {
  dryRun: boolean;
  now?: Date;
  onProgress?: (done: number, total: number) => void;
  /**
   * A dry run: the clients this run would create or change (client_id -> metadata), so that their
   * tokens are counted as the real run would count them.
   */
  plannedClients?: ReadonlyMap<string, StoredClient>;
}

interface Pending {
  /** Linked refresh tokens that DOT has revoked since. */
  revoked: DjangoRefreshToken[];
  chains: (PlannedChain & { client: Client })[];
  credentials: (PlannedClientCredentials & { client: Client })[];
  unchanged: { accessTokens: number; refreshTokens: number; clientCredentials: number };
  /** Tokens whose client the provider cannot load: nobody could use them, so they are not written. */
  unloadable: number;
}

/** What is left to write of the plan once what earlier runs wrote (the links) is set aside. */
function pendingWrites(
  plan: TokenPlan,
  links: { access: ReadonlyMap<string, string>; refresh: ReadonlyMap<string, string> },
  clients: ReadonlyMap<string, Client | undefined>,
): Pending {
  const pending: Pending = {
    revoked: plan.revokedRefreshTokens.filter((rt) => isLinked(links.refresh, rt)),
    chains: [],
    credentials: [],
    unchanged: { accessTokens: 0, refreshTokens: 0, clientCredentials: 0 },
    unloadable: 0,
  };
  for (const chain of plan.chains) {
    const rt = chain.refreshToken;
    const linkedRt = rt !== null && isLinked(links.refresh, rt);
    if (linkedRt) pending.unchanged.refreshTokens += 1;
    const fresh = chain.accessTokens.filter((at) => !isLinked(links.access, at));
    pending.unchanged.accessTokens += chain.accessTokens.length - fresh.length;
    // Access tokens new since their chain was imported get a Grant of their own.
    const refreshToken: DjangoRefreshToken | null = linkedRt ? null : rt;
    if (!refreshToken && fresh.length === 0) continue;
    const client = clients.get(chain.clientId);
    if (client) pending.chains.push({ ...chain, client, refreshToken, accessTokens: fresh });
    else pending.unloadable += fresh.length + (refreshToken ? 1 : 0);
  }
  for (const planned of plan.clientCredentials) {
    if (isLinked(links.access, planned.accessToken)) {
      pending.unchanged.clientCredentials += 1;
      continue;
    }
    const client = clients.get(planned.clientId);
    if (client) pending.credentials.push({ ...planned, client });
    else pending.unloadable += 1;
  }
  return pending;
}

async function readLinks(links: ImportLinks) {
  const [access, refresh] = await Promise.all([links.all('access_token'), links.all('refresh_token')]);
  return { access, refresh };
}

function unknownScopes(pending: Pending, known: ReadonlySet<string>): string[] {
  const carried = [
    ...pending.chains.flatMap((chain) => [
      ...(chain.refreshToken ? [chain.refreshScope] : []),
      ...chain.accessTokens.map((at) => at.scope),
    ]),
    ...pending.credentials.map((planned) => planned.accessToken.scope),
  ];
  const scopes = new Set(carried.flatMap((scope) => scope.split(' ').filter(Boolean)));
  return [...scopes].filter((scope) => !known.has(scope)).sort();
}

export async function importDjangoTokens(
  writer: TokenWriter,
  snapshot: DjangoSnapshot,
  targets: TokenImportTargets,
  options: TokenImportOptions,
): Promise<TokenImportReport> {
  const nowDate = options.now ?? new Date();
  const now = epoch(nowDate);
  const plan = planTokens(snapshot, targets, nowDate);

  // Each client once, before any transaction (the embedded database has one connection).
  const clients = new Map<string, Client | undefined>();
  for (const clientId of new Set([...plan.chains, ...plan.clientCredentials].map((p) => p.clientId)))
    clients.set(
      clientId,
      await writer.findClient(clientId, options.dryRun ? options.plannedClients?.get(clientId) : undefined),
    );

  // What a run would write, as the links say now; a real run decides again inside its transactions.
  const before = pendingWrites(plan, await readLinks(writer.links), clients);
  const total =
    before.chains.reduce((n, chain) => n + chain.accessTokens.length + (chain.refreshToken ? 1 : 0), 0) +
    before.credentials.length;
  let done = 0;
  const tick = (count: number) => {
    done += count;
    options.onProgress?.(done, total);
  };

  let written = before;
  // A dry run counts the linked ones; a run counts those it found still live.
  let revokedSinceImport = options.dryRun ? before.revoked.length : 0;
  if (!options.dryRun) {
    // Grants with their refresh and access tokens, and their links: one transaction. The writer
    // serializes imports, and the links are read again inside: a parallel run finds them written.
    const chains = await writer.transaction(async (tx) => {
      const pending = pendingWrites(plan, await readLinks(tx.links), clients);
      for (const rt of pending.revoked) if (await revokeCarried(tx, rt)) revokedSinceImport += 1;
      const accessTokens: ImportLink[] = [];
      const refreshTokens: ImportLink[] = [];
      for (const chain of pending.chains) {
        const links = await writeChain(tx, writer, chain, now);
        accessTokens.push(...links.accessTokens);
        if (links.refreshToken) refreshTokens.push(links.refreshToken);
        tick(links.accessTokens.length + (links.refreshToken ? 1 : 0));
      }
      await tx.links.record('access_token', accessTokens);
      await tx.links.record('refresh_token', refreshTokens);
      return pending;
    });
    // Client-credentials tokens: a second transaction.
    const credentials = await writer.transaction(async (tx) => {
      const pending = pendingWrites(plan, await readLinks(tx.links), clients);
      const links: ImportLink[] = [];
      for (const planned of pending.credentials) {
        links.push(await writeClientCredentials(tx, planned, now));
        tick(1);
      }
      await tx.links.record('access_token', links);
      return pending;
    });
    written = {
      revoked: chains.revoked,
      chains: chains.chains,
      credentials: credentials.credentials,
      unchanged: { ...chains.unchanged, clientCredentials: credentials.unchanged.clientCredentials },
      unloadable: chains.unloadable,
    };
  } else tick(total);

  return {
    accessTokens: {
      imported: written.chains.reduce((n, chain) => n + chain.accessTokens.length, 0),
      unchanged: written.unchanged.accessTokens,
    },
    refreshTokens: {
      imported: written.chains.filter((chain) => chain.refreshToken).length,
      unchanged: written.unchanged.refreshTokens,
    },
    clientCredentials: {
      imported: written.credentials.length,
      unchanged: written.unchanged.clientCredentials,
    },
    skipped: { ...plan.skipped, unknownClient: plan.skipped.unknownClient + written.unloadable },
    revokedSinceImport,
    unknownScopes: unknownScopes(before, writer.knownScopes),
  };
}
