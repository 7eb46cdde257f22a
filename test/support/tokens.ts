/**
 * One way to get a token of each kind: from the real grants at the token endpoint (password,
 * client credentials, refresh), or minted through the provider's own models for properties no grant
 * here issues (a DPoP binding, a lifetime of a second). Browser sign-ins (authorization code) are
 * test/interactions/support/flow.ts.
 */
import type { Provider } from 'oidc-provider';
import { ALICE, DEMO_CLI, DEMO_SERVICE, passwordOf, type ClientCredentials } from './fixtures';
import { tokenRequest, type HttpAnswer } from './http';

/** A successful token response (RFC 6749 §5.1). */
export interface TokenSet {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
}

function tokensOf(answer: HttpAnswer, grant: string): TokenSet {
  if (answer.status !== 200) throw new Error(`${grant} grant failed: ${answer.status} ${answer.text}`);
  return answer.body as unknown as TokenSet;
}

export interface PasswordGrant {
  scope: string;
  /** alice unless told. */
  username?: string;
  /** The demo user's password, or the one tests give their accounts (fixtures.passwordOf). */
  password?: string;
  /** demo-cli unless told. */
  client?: ClientCredentials;
}

/** The parameters of a password grant request (RFC 6749 §4.3.2), for a test that sends them itself. */
export function passwordGrantParams(grant: Omit<PasswordGrant, 'client'>): Record<string, string> {
  const username = grant.username ?? ALICE.username;
  return {
    grant_type: 'password',
    username,
    password: grant.password ?? passwordOf(username),
    scope: grant.scope,
  };
}

/** The password grant (RFC 6749 §4.3), answered as it comes. */
export function passwordGrant(issuer: string, grant: PasswordGrant): Promise<HttpAnswer> {
  return tokenRequest(issuer, passwordGrantParams(grant), grant.client ?? DEMO_CLI);
}

/** The password grant's tokens; fails the test unless it answers 200. */
export async function passwordTokens(issuer: string, grant: PasswordGrant): Promise<TokenSet> {
  return tokensOf(await passwordGrant(issuer, grant), 'password');
}

/** An access token from the password grant. */
export async function accessToken(
  issuer: string,
  scope: string,
  options: Omit<PasswordGrant, 'scope'> = {},
): Promise<string> {
  return (await passwordTokens(issuer, { ...options, scope })).access_token;
}

/** The client credentials grant (RFC 6749 §4.4); demo-service unless told. */
export async function clientCredentialsToken(
  issuer: string,
  client: ClientCredentials = DEMO_SERVICE,
): Promise<string> {
  return tokensOf(
    await tokenRequest(issuer, { grant_type: 'client_credentials' }, client),
    'client_credentials',
  ).access_token;
}

/** The refresh token grant (RFC 6749 §6), answered as it comes (races and reuse are test cases). */
export function refresh(
  issuer: string,
  refreshToken: string,
  client: ClientCredentials = DEMO_CLI,
): Promise<HttpAnswer> {
  return tokenRequest(issuer, { grant_type: 'refresh_token', refresh_token: refreshToken }, client);
}

/**
 * An opaque access token saved through the provider's own models, as a grant would save it, with
 * `extra` properties of the token (jkt, expiresIn, ...).
 */
export async function mintAccessToken(
  provider: Provider,
  options: { accountId: string; clientId: string; scope: string; extra?: Record<string, unknown> },
): Promise<string> {
  const client = await provider.Client.find(options.clientId);
  const grant = new provider.Grant({ accountId: options.accountId, clientId: options.clientId });
  grant.addOIDCScope(options.scope);
  const grantId = await grant.save();
  const token = new provider.AccessToken({
    accountId: options.accountId,
    client: client!,
    grantId,
    gty: 'password',
    scope: options.scope,
    ...options.extra,
  });
  return token.save();
}

/** The claims of a JWT (an ID token), unverified: for reading what a verified flow received. */
export function decodeJwtPayload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
