/**
 * Validating the provider's opaque access tokens outside its own endpoints, with the same checks its
 * userinfo and introspection endpoints make (oidc-provider lib/shared/access_token.js,
 * lib/actions/introspection.js): the token is found (unexpired, unrevoked, an access token), its
 * Grant exists, is unexpired and matches client and account, the client still exists, and the
 * account exists and is not disabled. Sender-constrained tokens (DPoP `jkt`, mTLS `x5t#S256`) are
 * refused: this API verifies no proof of possession, so it must not accept them as bearer tokens
 * (RFC 9449 §7.1). Tokens with an audience were minted for another resource server (RFC 8707).
 */
import type { Provider } from 'oidc-provider';
import type { Account, AccountStore } from '../accounts/store';

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
}

/** Anything longer is no token the provider issued (its opaque values are 43 characters). */
const MAX_TOKEN_LENGTH = 512;

function senderConstrained(token: { jkt?: string; 'x5t#S256'?: string }): boolean {
  return Boolean(token.jkt || token['x5t#S256']);
}

export async function findValidAccessToken(
  provider: Provider,
  accounts: AccountStore,
  value: string,
): Promise<ValidAccessToken | null> {
  if (!value || value.length > MAX_TOKEN_LENGTH) return null;
  const token = await provider.AccessToken.find(value);
  if (!token || token.isExpired || senderConstrained(token) || token.aud !== undefined) return null;
  if (!token.grantId || !token.accountId) return null;
  // Three independent look-ups by key: one round trip's wait instead of three.
  const [grant, client, account] = await Promise.all([
    provider.Grant.find(token.grantId, { ignoreExpiration: true }),
    token.clientId ? provider.Client.find(token.clientId) : undefined,
    accounts.findById(token.accountId),
  ]);
  if (!grant || grant.isExpired) return null;
  if (grant.clientId !== token.clientId || grant.accountId !== token.accountId) return null;
  if (!client) return null;
  if (!account || account.disabled) return null;
  return { value, token, grant, client, account, scopes: new Set(token.scope?.split(' ').filter(Boolean)) };
}

export type ClientCredentialsToken = InstanceType<Provider['ClientCredentials']>;

/** A client credentials token (no account): found, unexpired, not sender-constrained, client exists. */
export async function findValidClientCredentials(
  provider: Provider,
  value: string,
): Promise<ClientCredentialsToken | null> {
  if (!value || value.length > MAX_TOKEN_LENGTH) return null;
  const token = await provider.ClientCredentials.find(value);
  if (!token || token.isExpired || senderConstrained(token) || token.aud !== undefined) return null;
  const client = token.clientId ? await provider.Client.find(token.clientId) : undefined;
  return client ? token : null;
}
