/**
 * Writing django-oauth-toolkit's tokens through the provider's models (tokens.ts decides what): a
 * chain's Grant with its refresh and access tokens, a client-credentials token, and the revocation
 * of a carried refresh token DOT revoked since. Type imports of oidc-provider only: the writer
 * (cli/import-provider.ts) brings the models.
 */
import { createHash } from 'node:crypto';
import type { AccessToken, Client, ClientCredentials, Provider, RefreshToken } from 'oidc-provider';
import type { StoredClient } from '../../clients/store';
import { signInMethods } from '../../accounts/mfa/methods';
import type { ImportLink, ImportLinks } from '../links';
import type { DjangoRefreshToken } from './source';
import type { PlannedChain, PlannedClientCredentials } from './tokens-plan';

/** The provider's token models, as one provider instance builds them. */
export type TokenModels = Pick<Provider, 'Grant' | 'AccessToken' | 'RefreshToken' | 'ClientCredentials'>;

/** One transaction's writers: the models write through it, and so do the links. */
export interface TokenTransaction {
  models: TokenModels;
  links: ImportLinks;
  /** Saves a token under the id it was given (its value), as the provider would save one it made. */
  saveWithValue(token: AccessToken | ClientCredentials | RefreshToken): Promise<string>;
}

export interface TokenWriter {
  /** The links of earlier runs, read outside any transaction. */
  links: ImportLinks;
  /** Every scope the provider knows (its `scopes`, EXTRA_SCOPES included). */
  knownScopes: ReadonlySet<string>;
  /** Seconds: REFRESH_TOKEN_TTL and the Grant lifetime (config.ttl.grant). */
  lifetimes: { refreshToken: number; grant: number };
  /**
   * The provider's client, or undefined when it has none of that id (or refuses to load it). With
   * `planned` (a dry run: the metadata this run would store), a client not stored yet is loaded from it.
   */
  findClient(clientId: string, planned?: StoredClient): Promise<Client | undefined>;
  /** Runs `work` with every write in one database transaction (all or nothing). */
  transaction<T>(work: (tx: TokenTransaction) => Promise<T>): Promise<T>;
}

/** What a link remembers of a token: a digest of its value (SHA-256, hex). */
export function digest(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export const epoch = (date: Date) => Math.floor(date.getTime() / 1000);

/** When DOT issued it, if known and not in the future (then it is now). */
function issuedAt(token: { created: Date | null }, now: number): number {
  return token.created ? Math.min(epoch(token.created), now) : now;
}

export function isLinked(links: ReadonlyMap<string, string>, token: { id: string; token: string }): boolean {
  return links.get(token.id) === digest(token.token);
}

const SIGN_IN = signInMethods(['pwd']);

/** One Grant and its tokens, written in order: the Grant, the refresh token, the access tokens. */
export async function writeChain(
  tx: TokenTransaction,
  writer: TokenWriter,
  chain: PlannedChain & { client: Client },
  now: number,
): Promise<{ accessTokens: ImportLink[]; refreshToken: ImportLink | null }> {
  const { models } = tx;
  const rt = chain.refreshToken;
  const refreshExp = now + writer.lifetimes.refreshToken;
  const scopes = [chain.refreshScope, ...chain.accessTokens.map((at) => at.scope)].join(' ');
  const grant = new models.Grant({ accountId: chain.accountId, clientId: chain.clientId });
  grant.addOIDCScope([...new Set(scopes.split(' ').filter(Boolean))]);
  // The Grant bounds every token in it (lib/helpers/grant_source.js: an expired Grant fails them).
  grant.exp = Math.max(
    now + writer.lifetimes.grant,
    rt ? refreshExp : 0,
    ...chain.accessTokens.map((at) => epoch(at.expires)),
  );
  const grantId = await grant.save();

  let refreshToken: ImportLink | null = null;
  if (rt) {
    const token = new models.RefreshToken({
      jti: rt.token,
      iat: issuedAt(rt, now),
      exp: refreshExp,
      client: chain.client,
      accountId: chain.accountId,
      grantId,
      gty: chain.gty,
      scope: chain.refreshScope,
      rotations: 0,
      amr: SIGN_IN.amr,
      acr: SIGN_IN.acr,
    });
    await tx.saveWithValue(token);
    refreshToken = { sourceKey: rt.id, targetId: digest(rt.token) };
  }

  const accessTokens: ImportLink[] = [];
  for (const at of chain.accessTokens) {
    const token = new models.AccessToken({
      jti: at.token,
      iat: issuedAt(at, now),
      exp: epoch(at.expires),
      client: chain.client,
      accountId: chain.accountId,
      grantId,
      // As the library records a refreshed token's origin (lib/actions/grants/refresh_token.js).
      gty: at.sourceRefreshTokenId !== null ? `${chain.gty} refresh_token` : chain.gty,
      scope: at.scope,
      // How the account signed in, for introspection and the API (oidc/sign-in-claims.ts keeps it).
      extra: { amr: SIGN_IN.amr, acr: SIGN_IN.acr },
    });
    await tx.saveWithValue(token);
    accessTokens.push({ sourceKey: at.id, targetId: digest(at.token) });
  }
  return { accessTokens, refreshToken };
}

/**
 * Revokes a carried refresh token that DOT revoked since, and its Grant with every token in it, as
 * Gatehouse revokes a refresh token (lib/helpers/revoke.js). Whether DOT rotated it or its client
 * revoked it, nobody should hold it any more; if Gatehouse rotated it too, the token was used on both
 * sides, which is reuse (RFC 9700 §4.14.2). Returns whether anything was left to revoke.
 */
export async function revokeCarried(tx: TokenTransaction, rt: DjangoRefreshToken): Promise<boolean> {
  const { models } = tx;
  const token = await models.RefreshToken.find(rt.token, { ignoreExpiration: true });
  if (!token?.grantId) return false;
  const grant = await models.Grant.find(token.grantId, { ignoreExpiration: true });
  await Promise.all([
    grant?.destroy(),
    models.AccessToken.revokeByGrantId(token.grantId),
    models.RefreshToken.revokeByGrantId(token.grantId),
  ]);
  return true;
}

export async function writeClientCredentials(
  tx: TokenTransaction,
  planned: PlannedClientCredentials & { client: Client },
  now: number,
): Promise<ImportLink> {
  const at = planned.accessToken;
  const token = new tx.models.ClientCredentials({
    jti: at.token,
    iat: issuedAt(at, now),
    exp: epoch(at.expires),
    client: planned.client,
    scope: at.scope,
  });
  await tx.saveWithValue(token);
  return { sourceKey: at.id, targetId: digest(at.token) };
}
