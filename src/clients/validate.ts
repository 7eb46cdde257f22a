/**
 * The one validator of client metadata, shared by every way a client is registered (the CLI and the
 * admin API), so that both refuse the same combinations and neither stores a client the provider
 * would refuse to load. Two steps: Gatehouse's rules, which the provider's own schema does not
 * enforce (that the metadata makes sense), then the provider's schema (its form), which the caller
 * hands in as a function (oidc/internals.ts `validateClientSchema`): this module loads no library.
 */
import { isLoopbackHost } from '../http/loopback';
import { OTP_GRANT, PASSWORD_GRANT } from '../oidc/grants/names';
import type { StoredClient } from './store';

export interface ClientPolicy {
  /** NODE_ENV=production: redirect URIs must be https, but for loopback ones. */
  production: boolean;
}

/** Problems by metadata field (`body` when the provider names none); empty when there are none. */
export type ClientProblems = Record<string, string>;

/** The provider's own check of a client's metadata; rejects with its InvalidClientMetadata. */
export type ClientSchemaCheck = (metadata: StoredClient) => Promise<void>;

/**
 * The secret a candidate is validated with before the store generates the real one: as long as a
 * generated secret (32 random bytes, base64url), so that the checks see what will be stored.
 */
export const STAND_IN_SECRET = 'x'.repeat(43);

/** Grants that authenticate with the client's own secret, or hand it a user's credentials. */
const CONFIDENTIAL_GRANTS: Record<string, string> = {
  [PASSWORD_GRANT]: 'password',
  [OTP_GRANT]: 'one-time-code',
  client_credentials: 'client_credentials',
};

function checkRedirects(field: string, uris: unknown, policy: ClientPolicy, problems: ClientProblems) {
  if (!policy.production || !Array.isArray(uris)) return;
  for (const uri of uris) {
    let url: URL;
    try {
      url = new URL(String(uri));
    } catch {
      continue; // not a URL at all: the provider's own validation names it
    }
    // Custom schemes (RFC 8252 §7.1) are for native apps and stay allowed; so does loopback http (§7.3).
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
      problems[field] = `must use https in production (loopback http is allowed): ${uri}`;
      return;
    }
  }
}

/** RFC 7518 §6.2.2, §6.3.2, §6.4.1: the members of a private or symmetric JWK. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * RFC 7591 §2 `jwks`: the client's public keys. A private or symmetric key there would be shown by
 * every read of the client (and the provider would verify with it): refused, naming the key.
 */
function checkJwks(jwks: unknown, problems: ClientProblems): void {
  const keys = (jwks as { keys?: unknown } | undefined)?.keys;
  if (!Array.isArray(keys)) return; // not a JWK Set at all: the provider's validation names it
  keys.forEach((key, i) => {
    if (key && typeof key === 'object' && PRIVATE_JWK_MEMBERS.some((member) => member in key))
      problems.jwks ??= `keys[${i}] is a private or symmetric key: register public keys only`;
  });
}

/**
 * RFC 7591 §2.1: response types and grant types go together (`code` with authorization_code,
 * `id_token` and `token` with implicit). The provider would silently add or drop grants to match
 * (lib/helpers/client_schema.js), so that the client it loads would not be the one stored and shown:
 * a mismatch is refused instead.
 */
function checkResponseTypes(client: StoredClient, problems: ClientProblems): void {
  const grants = new Set<string>(client.grant_types ?? ['authorization_code']);
  const parts = new Set((client.response_types ?? ['code']).flatMap((type) => String(type).split(' ')));
  if (parts.has('code') && !grants.has('authorization_code'))
    problems.response_types = "'code' needs the authorization_code grant";
  else if ((parts.has('id_token') || parts.has('token')) && !grants.has('implicit'))
    problems.response_types = "'id_token' and 'token' need the implicit grant";
  else if (grants.has('authorization_code') && !parts.has('code'))
    problems.grant_types = "authorization_code needs a response type with 'code'";
  else if (grants.has('implicit') && !parts.has('id_token') && !parts.has('token'))
    problems.grant_types = "implicit needs a response type with 'id_token' or 'token'";
}

/** Gatehouse's own rules for a client's metadata: the problems by field. */
export function checkClientMetadata(client: StoredClient, policy: ClientPolicy): ClientProblems {
  const problems: ClientProblems = {};
  if (client.token_endpoint_auth_method === 'none') {
    // A public client has no secret: a grant that trusts the client itself would trust anyone who
    // copied its id (OAuth 2.0 Security BCP §2.4 for the password grant; RFC 6749 §4.4).
    const refused = (client.grant_types ?? []).filter((grant) => CONFIDENTIAL_GRANTS[grant]);
    if (refused.length)
      problems.grant_types = `a public client cannot use the ${refused
        .map((grant) => CONFIDENTIAL_GRANTS[grant])
        .join(', ')} grant: it has no secret`;
  }
  checkRedirects('redirect_uris', client.redirect_uris, policy, problems);
  checkRedirects('post_logout_redirect_uris', client.post_logout_redirect_uris, policy, problems);
  checkJwks(client.jwks, problems);
  checkResponseTypes(client, problems);
  return problems;
}

/**
 * The provider's refusal as problems by field: InvalidClientMetadata or InvalidRedirectUri (RFC 7591
 * §3.2.2), whose description starts with the property it names. Anything else is no refusal of the
 * metadata and stays an error.
 */
function schemaProblems(err: unknown): ClientProblems | null {
  const { error, error_description: description } = (err ?? {}) as {
    error?: string;
    error_description?: string;
  };
  if (!error || !['invalid_client_metadata', 'invalid_redirect_uri'].includes(error) || !description)
    return null;
  const [, field, rest] = /^([a-z_]+) (.*)$/.exec(description) ?? [];
  if (!field || !rest) return { body: description };
  // "jwks or jwks_uri is mandatory…", "jwks and jwks_uri must not…": the sentence names two fields.
  return { [field]: /^(or|and) /.test(rest) ? description : rest };
}

/** Gatehouse's rules, then the provider's schema: the problems of the first step that has any. */
export async function validateClientMetadata(
  client: StoredClient,
  options: { policy: ClientPolicy; checkSchema: ClientSchemaCheck },
): Promise<ClientProblems> {
  const problems = checkClientMetadata(client, options.policy);
  if (Object.keys(problems).length) return problems;
  try {
    await options.checkSchema(client);
  } catch (err) {
    const refused = schemaProblems(err);
    if (!refused) throw err;
    return refused;
  }
  return {};
}
