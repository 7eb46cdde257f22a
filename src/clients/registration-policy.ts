/**
 * What a client that registered itself (RFC 7591, the registration endpoint) may ask for. An operator
 * creates clients through the CLI and the admin API and may give them anything; a stranger holding
 * an initial access token (or nobody at all, CLIENT_REGISTRATION=open) may not:
 * - the `admin` scope (it opens /api/admin) or the `account` scope (Gatehouse's own pages' API);
 * - the password and one-time-code grants (they hand a client a person's credentials) or token
 *   exchange (it turns someone else's token into one for another audience);
 * - `first_party` (it skips consent and may be granted the admin scope);
 * - in production, a plain-http URI, except a native application's loopback redirect (RFC 8252
 *   §7.3: the app listens on 127.0.0.1, [::1] or localhost on a port of its choosing).
 *
 * The same rules apply to a registration and to every RFC 7592 update, so a client cannot register
 * within them and widen itself afterwards. No library import: the feature (oidc/features/
 * registration.ts) turns a refusal into the provider's own RFC 7591 §3.2.2 error.
 */
import { OTP_GRANT, PASSWORD_GRANT, TOKEN_EXCHANGE_GRANT } from '../oidc/grants/names';
import { ACCOUNT_SCOPE, ADMIN_SCOPE } from './scope';

/** Scopes only an operator may give a client. */
export const RESERVED_SCOPES: ReadonlySet<string> = new Set([ADMIN_SCOPE, ACCOUNT_SCOPE]);

/** Grants only an operator may give a client. */
export const RESERVED_GRANTS: ReadonlySet<string> = new Set([
  PASSWORD_GRANT,
  OTP_GRANT,
  TOKEN_EXCHANGE_GRANT,
]);

/** RFC 8252 §7.3 loopback hosts (URL.hostname spells IPv6 with brackets). */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Client metadata naming a URI that the provider or a browser will call, besides the redirects. */
const OTHER_URI_FIELDS = [
  'jwks_uri',
  'sector_identifier_uri',
  'backchannel_logout_uri',
  'initiate_login_uri',
];

export interface RegistrationPolicyOptions {
  /** config.env === 'production': URIs must be https. */
  production: boolean;
}

/**
 * Why the metadata is refused: the field and a description for `error_description`. A description
 * that starts with `redirect_uris` is answered as invalid_redirect_uri (RFC 7591 §3.2.2), as the
 * provider answers its own checks of that field.
 */
export interface PolicyRefusal {
  field: string;
  description: string;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function isPlainHttp(uri: string): URL | null {
  const parsed = URL.parse(uri);
  return parsed?.protocol === 'http:' ? parsed : null;
}

/**
 * The first rule the metadata breaks, or null. Metadata here is what the client sent with the
 * provider's defaults filled in, not yet checked by it: a field of the wrong type is left to the
 * provider's own validation, which refuses it with invalid_client_metadata.
 */
export function checkSelfRegistration(
  metadata: Record<string, unknown>,
  options: RegistrationPolicyOptions,
): PolicyRefusal | null {
  const scopes = typeof metadata.scope === 'string' ? metadata.scope.split(' ') : [];
  const scope = scopes.find((s) => RESERVED_SCOPES.has(s));
  if (scope) return { field: 'scope', description: `scope ${scope} may not be registered by a client` };

  const grant = strings(metadata.grant_types).find((g) => RESERVED_GRANTS.has(g));
  if (grant)
    return { field: 'grant_types', description: `grant_types ${grant} may not be registered by a client` };

  if (metadata.first_party !== undefined && metadata.first_party !== false)
    return { field: 'first_party', description: 'first_party may not be registered by a client' };

  if (!options.production) return null;
  const native = metadata.application_type === 'native';
  for (const field of ['redirect_uris', 'post_logout_redirect_uris']) {
    for (const uri of strings(metadata[field])) {
      const http = isPlainHttp(uri);
      // RFC 8252 §7.3: a native app's loopback redirect is http by nature (nothing can attack it there).
      if (http && !(native && LOOPBACK_HOSTS.has(http.hostname)))
        return { field, description: `${field} must use https${native ? ' or a loopback address' : ''}` };
    }
  }
  for (const field of OTHER_URI_FIELDS) {
    for (const uri of strings(metadata[field]))
      if (isPlainHttp(uri)) return { field, description: `${field} must use https` };
  }
  return null;
}
