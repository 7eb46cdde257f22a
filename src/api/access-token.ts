/**
 * The provider's opaque access tokens, validated for the API by the provider itself: the checks its
 * userinfo endpoint makes (oidc/internals.ts verifyAccessToken, lib/shared/access_token.js), run
 * in-process. A DPoP-bound token (RFC 9449 §7.1) is accepted only with `Authorization: DPoP` and a
 * proof the library verifies for this API's URL and method (findProvenAccessToken); presented as
 * Bearer it is refused. Tokens bound to a certificate (RFC 8705) and tokens with an audience
 * (RFC 8707, another resource server's) are refused. The account is the store's,
 * as findAccount loaded it (a disabled account is none), so a handler sees its roles and profile.
 */
import type { Socket } from 'node:net';
import type { Provider } from 'oidc-provider';
import type { Account } from '../accounts/store';
import { accountOf } from '../oidc/claims';
import { verifyAccessToken, verifyAccessTokenWithProof, type DpopPresentation } from '../oidc/internals';

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
  return validAccessToken(value, await verifyAccessToken(provider, value, socket));
}

/** A token as presented to the API: its scheme, and the DPoP proof that came with a DPoP one. */
export type PresentedToken =
  { scheme: 'Bearer'; value: string } | { scheme: 'DPoP'; value: string; dpop: DpopPresentation };

export type ProvenAccessToken =
  | { auth: ValidAccessToken; nonce: string | undefined }
  | {
      auth: null;
      /** The challenge's scheme (RFC 9449 §7.1): DPoP for a DPoP presentation or a key-bound token. */
      scheme: 'Bearer' | 'DPoP';
      /** use_dpop_nonce when the proof needs the server's nonce (§8, §9), else invalid_token. */
      error: 'invalid_token' | 'use_dpop_nonce';
      nonce: string | undefined;
    };

/**
 * A token presented to the API with either scheme: as findValidAccessToken, and for `DPoP` the proof
 * verified by the provider (oidc/internals.ts verifyAccessTokenWithProof).
 */
export async function findProvenAccessToken(
  provider: Provider,
  presented: PresentedToken,
  socket?: Socket,
): Promise<ProvenAccessToken> {
  const { value } = presented;
  const dpop = presented.scheme === 'DPoP' ? presented.dpop : null;
  const refused = (scheme: 'Bearer' | 'DPoP', error: 'invalid_token' | 'use_dpop_nonce', nonce?: string) =>
    ({ auth: null, scheme, error, nonce }) as const;
  if (!value || value.length > MAX_TOKEN_LENGTH) return refused(presented.scheme, 'invalid_token');
  const checked = await verifyAccessTokenWithProof(provider, value, dpop, socket);
  if (!checked.verified) {
    const scheme = dpop || checked.boundToKey ? 'DPoP' : 'Bearer';
    const error = checked.error === 'use_dpop_nonce' ? 'use_dpop_nonce' : 'invalid_token';
    return refused(scheme, error, checked.nonce);
  }
  const auth = validAccessToken(value, checked.verified);
  return auth ? { auth, nonce: checked.nonce } : refused(presented.scheme, 'invalid_token', checked.nonce);
}

function validAccessToken(
  value: string,
  verified: Awaited<ReturnType<typeof verifyAccessToken>>,
): ValidAccessToken | null {
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
