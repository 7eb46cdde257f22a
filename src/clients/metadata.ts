/**
 * The client metadata an operator may register (RFC 7591 §2, OpenID Connect Dynamic Client
 * Registration §2, RFC 9126 §6, RFC 9449 §5.2, Back-Channel Logout §2.2), the same set through the
 * admin API, `gatehouse client create` and its `--metadata` file. This module checks only the form of
 * each field (types, lists, URLs); what the values mean together is the validator's and the
 * provider's (validate.ts): the provider decides which algorithms, response types and grants exist.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DEVICE_CODE_GRANT, EXTENSION_GRANT_TYPES, TOKEN_EXCHANGE_GRANT } from '../oidc/grants/names';
import { DEFAULT_CLIENT_SCOPE } from './scope';
import type { StoredClient } from './store';

const absoluteUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** The grants a client may list: the library's and Gatehouse's extension grants (grants/names.ts). */
export const grantType = z.enum([
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'implicit',
  ...EXTENSION_GRANT_TYPES,
  DEVICE_CODE_GRANT,
  TOKEN_EXCHANGE_GRANT,
]);

/** Every response type the provider is configured with (oidc/provider.ts `responseTypes` reads it). */
export const RESPONSE_TYPES = [
  'code',
  'id_token',
  'id_token token',
  'code id_token',
  'code token',
  'code id_token token',
  'none',
] as const;

/** RFC 7591 §2 token_endpoint_auth_method values the provider serves. */
export const TOKEN_ENDPOINT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
  'none',
] as const;

export const scopeString = z
  .string()
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, 'must be space-separated scopes');

/** A JWS algorithm name (RFC 7518 §3.1); which ones the provider signs with is its own answer. */
const algorithm = z.string().regex(/^[A-Za-z0-9+-]{1,32}$/, 'must be a JWS algorithm name');

/** RFC 7517 §5: a JWK Set; the provider checks each key (public keys only, RFC 7591 §2 `jwks`). */
const jwkSet = z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1).max(16) });

export const clientName = z.string().trim().min(1).max(255);

/** The metadata fields besides client_id and client_name, each optional, by RFC 7591 name. */
export const clientMetadataFields = {
  redirect_uris: z.array(absoluteUrl).max(32).optional(),
  post_logout_redirect_uris: z.array(absoluteUrl).max(32).optional(),
  grant_types: z.array(grantType).min(1).optional(),
  response_types: z.array(z.enum(RESPONSE_TYPES)).optional(),
  token_endpoint_auth_method: z.enum(TOKEN_ENDPOINT_AUTH_METHODS).optional(),
  token_endpoint_auth_signing_alg: algorithm.optional(),
  jwks: jwkSet.optional(),
  jwks_uri: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
  id_token_signed_response_alg: algorithm.optional(),
  userinfo_signed_response_alg: algorithm.optional(),
  backchannel_logout_uri: absoluteUrl.optional(),
  backchannel_logout_session_required: z.boolean().optional(),
  require_pushed_authorization_requests: z.boolean().optional(),
  dpop_bound_access_tokens: z.boolean().optional(),
  scope: scopeString.optional(),
  first_party: z.boolean().optional(),
  logo_uri: absoluteUrl.optional(),
  client_uri: absoluteUrl.optional(),
  policy_uri: absoluteUrl.optional(),
  tos_uri: absoluteUrl.optional(),
  contacts: z.array(z.string().min(1).max(255)).max(16).optional(),
};

export const clientIdField = z
  .string()
  .regex(/^[A-Za-z0-9._~-]{1,128}$/, 'must be 1-128 letters, digits and . _ ~ -');

/** A new client's metadata as an operator gives it (a `--metadata` file, the admin API's body). */
export const clientMetadataInput = z.strictObject({
  client_id: clientIdField.optional(),
  client_name: clientName,
  ...clientMetadataFields,
});

export type ClientMetadataInput = z.output<typeof clientMetadataInput>;

/** The metadata fields the registry stores (and shows) besides client_id, in RFC 7591 order. */
export const METADATA_FIELDS = ['client_name', ...Object.keys(clientMetadataFields)] as const;

/**
 * Whether the client authenticates with a shared secret, or signs something with one: the rule of
 * the provider's own registration (lib/models/client.js `needsSecret`): a secret-based
 * token_endpoint_auth_method, or an HMAC algorithm for any signed response.
 */
export function needsSecret(metadata: Partial<StoredClient>): boolean {
  const method = metadata.token_endpoint_auth_method ?? 'client_secret_basic';
  if (!['none', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'].includes(method))
    return true;
  return Object.entries(metadata).some(
    ([key, value]) =>
      key.endsWith('_signed_response_alg') && typeof value === 'string' && value.startsWith('HS'),
  );
}

/**
 * The response types a client's grants use when it names none (RFC 7591 §2.1's correspondence):
 * `code` for authorization_code, `id_token` for implicit; none for a client that never redirects.
 */
export function defaultResponseTypes(grantTypes: readonly string[]): StoredClient['response_types'] {
  return [
    ...(grantTypes.includes('authorization_code') ? ['code'] : []),
    ...(grantTypes.includes('implicit') ? ['id_token'] : []),
  ] as StoredClient['response_types'];
}

/** A generated client_id: `gh_` and 96 random bits (as ClientStore.create makes them). */
export function generateClientId(): string {
  return `gh_${randomBytes(12).toString('base64url')}`;
}

/**
 * A new client's stored metadata: what the operator gave, with Gatehouse's defaults where it gave
 * nothing (the grants of a web app, response types that follow the grants, the default scopes) and
 * RFC 7591 §3.2.1's `client_id_issued_at`. `secret` is the generated secret, or null when the
 * metadata needs none (needsSecret).
 */
export function newClientMetadata(
  input: ClientMetadataInput,
  clientId: string,
  secret: string | null,
  issuedAt: number,
): StoredClient {
  const { client_id: _id, ...given } = input;
  const grantTypes = given.grant_types ?? ['authorization_code', 'refresh_token'];
  const metadata: StoredClient = {
    client_id: clientId,
    client_id_issued_at: issuedAt,
    token_endpoint_auth_method: 'client_secret_basic',
    response_types: defaultResponseTypes(grantTypes),
    redirect_uris: [],
    post_logout_redirect_uris: [],
    scope: DEFAULT_CLIENT_SCOPE,
    ...(given as Partial<StoredClient>),
    grant_types: grantTypes,
    ...(secret ? { client_secret: secret } : {}),
  };
  if (!metadata.first_party) delete metadata.first_party;
  return metadata;
}
