/**
 * The provider's opaque access tokens, validated for the API by the provider itself: the checks its
 * userinfo endpoint makes (oidc/internals.ts verifyAccessToken, lib/shared/access_token.js), run
 * in-process. On top of those, Gatehouse refuses sender-constrained tokens (this API verifies no proof
 * of possession, RFC 9449 §7.1) and tokens with an audience (RFC 8707). The account is the store's,
 * as findAccount loaded it (a disabled account is none), so a handler sees its roles and profile.
 */
import type { Socket } from 'node:net';
import type { Provider } from 'oidc-provider';
import type { Account } from '../accounts/store';
import { accountOf } from '../oidc/claims';
import { verifyAccessToken } from '../oidc/internals';

export type AccessToken = InstanceType<Provider['AccessToken']>;
export type Grant = InstanceType<Provider['Grant']>;
export type Client = InstanceType<Provider['Client']>;

export interface ValidAccessToken {
  /** The token value as presented. */
  value: string;
  token: AccessToken;
  grant: Grant;
  client: Client;
  account: Account;
  scopes: Set<string>;
  /** How the account signed in (RFC 8176), as the token recorded it (oidc/sign-in-claims.ts). */
  amr: string[];
}

/** Anything longer is no token the provider issued (its opaque values are 43 characters). */
export const MAX_TOKEN_LENGTH = 512;

export async function findValidAccessToken(
  provider: Provider,
  value: string,
  socket?: Socket,
): Promise<ValidAccessToken | null> {
  if (!value || value.length > MAX_TOKEN_LENGTH) return null;
  const verified = await verifyAccessToken(provider, value, socket);
  const account = accountOf(verified?.account);
  if (!verified || !account) return null;
  const { token, grant, client } = verified;
  const amr = Array.isArray(token.extra?.amr) ? (token.extra.amr as unknown[]).map(String) : [];
  return {
    value,
    token,
    grant,
    client,
    account,
    scopes: new Set(token.scope?.split(' ').filter(Boolean)),
    amr,
  };
}

export type ClientCredentialsToken = InstanceType<Provider['ClientCredentials']>;

/**
 * A client credentials token presented as a bearer token (validate-token's bearer mode). The library
 * judges those only at its introspection endpoint, for a caller that authenticates as a client; here
 * the token is the only credential, so this one exception keeps its own checks, by the model's
 * documented find: unexpired and unrevoked, not sender-constrained, no audience, its client registered.
 */
export async function findValidClientCredentials(
  provider: Provider,
  value: string,
): Promise<ClientCredentialsToken | null> {
  if (!value || value.length > MAX_TOKEN_LENGTH) return null;
  const token = await provider.ClientCredentials.find(value);
  if (!token || !token.isValid || token.isSenderConstrained() || token.aud !== undefined) return null;
  const client = token.clientId ? await provider.Client.find(token.clientId) : undefined;
  return client ? token : null;
}
