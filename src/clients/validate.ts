/**
 * Rules for client metadata that the provider's own schema does not enforce, shared by every way a
 * client is registered (the CLI and the admin API), so that both refuse the same combinations.
 * The provider validates the metadata's form (Client.validate); this checks that it makes sense.
 */
import type { StoredClient } from './store';

export interface ClientPolicy {
  /** NODE_ENV=production: redirect URIs must be https, but for loopback ones. */
  production: boolean;
}

/** Grants that authenticate with the client's own secret, or hand it a user's credentials. */
const CONFIDENTIAL_GRANTS: Record<string, string> = {
  password: 'password',
  'urn:gatehouse:params:oauth:grant-type:otp': 'one-time-code',
  client_credentials: 'client_credentials',
};

/**
 * RFC 8252 §7.3: a native app's loopback redirect (http://127.0.0.1:port/…, http://[::1]:port/…) needs
 * no TLS; §8.3 discourages `localhost` but it stays allowed, as most native SDKs use it.
 */
function isLoopback(url: URL): boolean {
  const host = url.hostname;
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

function checkRedirects(
  field: string,
  uris: unknown,
  policy: ClientPolicy,
  problems: Record<string, string>,
) {
  if (!policy.production || !Array.isArray(uris)) return;
  for (const uri of uris) {
    let url: URL;
    try {
      url = new URL(String(uri));
    } catch {
      continue; // not a URL at all: the provider's own validation names it
    }
    // Custom schemes (RFC 8252 §7.1) are for native apps and stay allowed.
    if (url.protocol === 'http:' && !isLoopback(url)) {
      problems[field] = `must use https in production (loopback http is allowed): ${uri}`;
      return;
    }
  }
}

/** The problems of a client's metadata, by field; an empty object when there are none. */
export function checkClientMetadata(client: StoredClient, policy: ClientPolicy): Record<string, string> {
  const problems: Record<string, string> = {};
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
  return problems;
}
