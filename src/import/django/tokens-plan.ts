/**
 * Which of django-oauth-toolkit's tokens an import carries over, and how they group into Grants:
 * pure decisions on the snapshot, no writes (tokens.ts writes them).
 *
 * DOT keeps an access token per issue and a refresh token beside it (oauth2_provider_refreshtoken
 * .access_token, one to one); a refresh rotates by revoking the old refresh token (and deleting its
 * access token) and issuing a new pair whose access token names the old refresh token as its
 * `source_refresh_token` (oauth2_provider/oauth2_validators.py save_bearer_token). So the live end of
 * a chain is the one unrevoked refresh token, with the access token it points to. Gatehouse keeps a
 * chain as one Grant (oidc-provider's refresh_token grant checks the refresh token against its
 * Grant, lib/helpers/grant_source.js validateGrant), and a lone access token in a Grant of its own.
 */
import type { DjangoAccessToken, DjangoApplication, DjangoRefreshToken, DjangoSnapshot } from './source';

export interface TokenImportTargets {
  /** Django user id -> Gatehouse account id (users imported now or by an earlier run). */
  accountIdByUserId: ReadonlyMap<string, string>;
  /** Django application id -> Gatehouse client_id. */
  clientIdByApplicationId: ReadonlyMap<string, string>;
}

export interface SkippedTokens {
  /** Access tokens past their `expires` (DOT refresh tokens do not expire). */
  expired: number;
  /**
   * Refresh tokens DOT revoked (rotated, or revoked by the client), or whose access token it revoked:
   * DOT refreshes with that token's scope (oauth2_validators.py get_original_scopes), so without it
   * DOT could not refresh them either.
   */
  revoked: number;
  /** Tokens of an application that was not imported (refused, or not in the snapshot). */
  unknownClient: number;
  /** Tokens of a user that was not imported. */
  unknownUser: number;
}

/** One Grant to create: a refresh token's chain, or a lone access token. */
export interface PlannedChain {
  accountId: string;
  clientId: string;
  /** The grant type the tokens came from (from the application's authorization_grant_type). */
  gty: string;
  refreshToken: DjangoRefreshToken | null;
  /** The refresh token's scope: DOT keeps it on the access token (get_original_scopes). */
  refreshScope: string;
  accessTokens: DjangoAccessToken[];
}

export interface PlannedClientCredentials {
  clientId: string;
  accessToken: DjangoAccessToken;
}

export interface TokenPlan {
  /** Refresh tokens DOT revoked: one an earlier run carried over is revoked at Gatehouse too. */
  revokedRefreshTokens: DjangoRefreshToken[];
  chains: PlannedChain[];
  clientCredentials: PlannedClientCredentials[];
  skipped: SkippedTokens;
}

/**
 * DOT's authorization_grant_type -> the grant type oidc-provider records on tokens (`gty`, RFC 6749
 * names). A hybrid application's tokens come from exchanging its code; an unknown type says nothing.
 */
const GRANT_TYPES: Record<string, string> = {
  'authorization-code': 'authorization_code',
  'openid-hybrid': 'authorization_code',
  implicit: 'implicit',
  password: 'password',
  'client-credentials': 'client_credentials',
};

function grantTypeOf(application: DjangoApplication | undefined): string {
  return (application && GRANT_TYPES[application.authorizationGrantType]) ?? 'authorization_code';
}

export function planTokens(snapshot: DjangoSnapshot, targets: TokenImportTargets, now: Date): TokenPlan {
  const skipped: SkippedTokens = { expired: 0, revoked: 0, unknownClient: 0, unknownUser: 0 };
  const applications = new Map(snapshot.applications.map((app) => [app.id, app]));
  const clientOf = (applicationId: string | null) =>
    applicationId === null ? undefined : targets.clientIdByApplicationId.get(applicationId);

  /** The Gatehouse owner of a user's token, or why there is none (counted). */
  function owner(userId: string, applicationId: string | null): PlannedChain | undefined {
    const clientId = clientOf(applicationId);
    if (!clientId) {
      skipped.unknownClient += 1;
      return undefined;
    }
    const accountId = targets.accountIdByUserId.get(userId);
    if (!accountId) {
      skipped.unknownUser += 1;
      return undefined;
    }
    const gty = grantTypeOf(applications.get(applicationId!));
    return { accountId, clientId, gty, refreshToken: null, refreshScope: '', accessTokens: [] };
  }

  // Chains keyed by their refresh token's id; the access token each refresh token points to.
  const chains = new Map<string, PlannedChain>();
  const chainByAccessTokenId = new Map<string, PlannedChain>();
  const revokedRefreshTokens: DjangoRefreshToken[] = [];
  // Expired access tokens too: a refresh token's scope is read from its access token.
  const accessTokenById = new Map(snapshot.accessTokens.map((at) => [at.id, at]));
  const refreshedFrom = new Map(
    snapshot.accessTokens.flatMap((at) => (at.sourceRefreshTokenId ? [[at.sourceRefreshTokenId, at]] : [])),
  );
  for (const rt of snapshot.refreshTokens) {
    // As DOT's get_original_scopes: the access token it points to, else the one refreshed from it.
    const scopeSource =
      (rt.accessTokenId !== null ? accessTokenById.get(rt.accessTokenId) : undefined) ??
      refreshedFrom.get(rt.id);
    if (rt.revoked || !scopeSource) {
      skipped.revoked += 1;
      revokedRefreshTokens.push(rt);
      continue;
    }
    const chain = owner(rt.userId, rt.applicationId);
    if (!chain) continue;
    chain.refreshToken = rt;
    chain.refreshScope = scopeSource.scope;
    chains.set(rt.id, chain);
    if (rt.accessTokenId) chainByAccessTokenId.set(rt.accessTokenId, chain);
  }

  const lone: PlannedChain[] = [];
  const clientCredentials: PlannedClientCredentials[] = [];
  for (const at of snapshot.accessTokens) {
    if (at.expires.getTime() <= now.getTime()) {
      skipped.expired += 1;
      continue;
    }
    if (at.userId === null) {
      const clientId = clientOf(at.applicationId);
      if (clientId) clientCredentials.push({ clientId, accessToken: at });
      else skipped.unknownClient += 1;
      continue;
    }
    // The refresh token issued with it, or (without rotation) the one it was refreshed from.
    const chain =
      chainByAccessTokenId.get(at.id) ??
      (at.sourceRefreshTokenId !== null ? chains.get(at.sourceRefreshTokenId) : undefined);
    const userId = chain?.refreshToken?.userId;
    const sameOwner = chain && userId === at.userId && chain.refreshToken?.applicationId === at.applicationId;
    if (chain && sameOwner) {
      chain.accessTokens.push(at);
      continue;
    }
    const own = owner(at.userId, at.applicationId);
    if (!own) continue;
    own.accessTokens.push(at);
    lone.push(own);
  }
  return { revokedRefreshTokens, chains: [...chains.values(), ...lone], clientCredentials, skipped };
}
