/**
 * Dynamic client registration (RFC 7591, OpenID Connect Dynamic Client Registration 1.0) and its
 * management (RFC 7592): initial access tokens, the self-registration policy.
 *
 * CLIENT_REGISTRATION: `token` (the default) requires an initial access token, the provider's
 * InitialAccessToken model stored through the adapter (oidc/registration-tokens.ts creates them);
 * `open` requires none; `off` mounts no registration endpoint, and discovery names none.
 *
 * Every registration answers a registration access token and the client's registration_client_uri
 * (RFC 7592 §3): with it the client reads, updates and deletes its own record. An update rotates the
 * registration access token (RFC 7592 §2.2 "MAY issue a new registration access token"; the library's
 * default): a leaked one dies with the next update, and the answer carries the new one.
 *
 * Registered clients are rows of the clients table like any other (the Client adapter), so every
 * node sees them at once (clients/cache.ts, notifications.ts).
 *
 * The policy (clients/registration-policy.ts) runs in the provider's `extraClientMetadata.validator`,
 * which the library calls with the request's context for registration and update requests only
 * ("ctx is provided for registration and update requests and is undefined for other Client
 * construction paths"); clients an operator created, read from the database, are never judged by it.
 * The library's own `policies` would need an initial access token to carry them, and `open` has none.
 *
 * Registrations are limited per source (RATE_LIMIT_CLIENT_REGISTRATION): provider.ts mounts
 * security/client-registration-limit.ts inside the outage answer, so a count that cannot be made
 * answers 503 like any outage.
 */
import { errors } from 'oidc-provider';
import { checkSelfRegistration } from '../../clients/registration-policy';
import { DEFAULT_CLIENT_SCOPE } from '../../clients/scope';
import type { Feature } from './feature';

/** The extra client metadata property the policy is run for (provider.ts lists it), once per client. */
const POLICY_KEY = 'first_party';

export const registration: Feature = {
  configure(config) {
    if (config.clientRegistration === 'off') return {};
    const production = config.env === 'production';
    return {
      features: {
        registration: {
          enabled: true,
          initialAccessToken: config.clientRegistration === 'token',
          issueRegistrationAccessToken: true,
        },
        registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
      },
      extraClientMetadata: {
        validator(ctx, key, _value, metadata) {
          if (!ctx || key !== POLICY_KEY) return;
          const fields = metadata as unknown as Record<string, unknown>;
          const refusal = checkSelfRegistration(fields, { production });
          // RFC 7591 §3.2.2: invalid_redirect_uri for a description about redirect_uris, else
          // invalid_client_metadata (the library's InvalidClientMetadata decides by the prefix).
          if (refusal) throw new errors.InvalidClientMetadata(refusal.description);
          // No scope registered: the default list, stated in the answer as the store would store it
          // (clients/scope.ts: never "every scope").
          if (fields.scope === undefined) fields.scope = DEFAULT_CLIENT_SCOPE;
        },
      },
    };
  },
};
