/**
 * Pushed authorization requests (RFC 9126): stored through the adapter; required per client or for all (PAR_REQUIRED).
 *
 * The pushed request is a PushedAuthorizationRequest row of oidc_payloads (adapter.ts), so a request
 * pushed to one node is authorized on any other, and its single use is the adapter's compare-and-set
 * consume (RFC 9126 §4: a request_uri is used once). A client asks for the requirement with its
 * `require_pushed_authorization_requests` metadata (RFC 9126 §6), the library's own client property;
 * PAR_REQUIRED makes it every client's, and discovery says so (§5).
 */
import type { Feature } from './feature';

export const par: Feature = {
  configure(config) {
    return {
      features: {
        pushedAuthorizationRequests: {
          enabled: true,
          requirePushedAuthorizationRequests: config.parRequired,
          // RFC 9126 §2.4 lets a server accept redirect URIs a client never registered in a pushed
          // request; Gatehouse keeps exact registered redirect URIs for every request.
          allowUnregisteredRedirectUris: false,
        },
      },
    };
  },
};
