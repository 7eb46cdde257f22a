/**
 * What the API shows of a client: RFC 7591 §3.2.1's client information without the secret, every
 * metadata field top level. Explicit picks, so that a field added to the metadata (a secret, a
 * foreign hash) never reaches an answer by accident.
 */
import type { z } from 'zod';
import type { StoredClient } from '../../clients/store';
import type { clientCreatedResponse, clientResponse } from '../schemas';

type ClientView = z.infer<typeof clientResponse>;

const OPTIONAL_STRINGS = [
  'token_endpoint_auth_signing_alg',
  'jwks_uri',
  'id_token_signed_response_alg',
  'userinfo_signed_response_alg',
  'backchannel_logout_uri',
  'logo_uri',
  'client_uri',
  'policy_uri',
  'tos_uri',
] as const;

const OPTIONAL_BOOLEANS = [
  'backchannel_logout_session_required',
  'require_pushed_authorization_requests',
  'dpop_bound_access_tokens',
] as const;

export function clientView(client: StoredClient): ClientView {
  const view: ClientView = {
    client_id: client.client_id,
    ...(typeof client.client_id_issued_at === 'number' && {
      client_id_issued_at: client.client_id_issued_at,
    }),
    client_name: typeof client.client_name === 'string' ? client.client_name : null,
    token_endpoint_auth_method: client.token_endpoint_auth_method ?? 'client_secret_basic',
    grant_types: (client.grant_types as string[] | undefined) ?? ['authorization_code'],
    response_types: (client.response_types as string[] | undefined) ?? ['code'],
    redirect_uris: [...(client.redirect_uris ?? [])],
    post_logout_redirect_uris: [...(client.post_logout_redirect_uris ?? [])],
    scope: typeof client.scope === 'string' ? client.scope : null,
    first_party: client.first_party === true,
  };
  for (const field of OPTIONAL_STRINGS) {
    const value = client[field];
    if (typeof value === 'string') view[field] = value;
  }
  for (const field of OPTIONAL_BOOLEANS) {
    const value = client[field];
    if (typeof value === 'boolean') view[field] = value;
  }
  // A registered JWK Set holds public keys only (the provider refuses private members, RFC 7591 §2).
  if (client.jwks && Array.isArray(client.jwks.keys))
    view.jwks = { keys: client.jwks.keys.map((key) => ({ ...key })) };
  if (Array.isArray(client.contacts)) view.contacts = client.contacts.map(String);
  return view;
}

/**
 * RFC 7591 §3.2.1: the answer to a registration, the secret (when there is one) beside the metadata;
 * `client_secret_expires_at` 0, as Gatehouse's secrets last until rotated.
 */
export function clientCreatedView(
  client: StoredClient,
  secret: string | null,
): z.infer<typeof clientCreatedResponse> {
  return {
    ...clientView(client),
    client_id_issued_at: client.client_id_issued_at as number,
    ...(secret !== null && { client_secret: secret, client_secret_expires_at: 0 as const }),
  };
}
