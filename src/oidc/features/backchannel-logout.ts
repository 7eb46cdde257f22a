/**
 * OpenID Connect Back-Channel Logout 1.0: logout tokens to clients with a backchannel_logout_uri, timed out, retried, logged and counted.
 *
 * The library advertises it (backchannel_logout_supported, backchannel_logout_session_supported),
 * accepts the client metadata (backchannel_logout_uri, backchannel_logout_session_required) and, at
 * RP-initiated logout, asks each client of the session to send its logout token. That request is
 * queued in the outbox here (oidc/backchannel-outbox.ts), like the logouts of the sessions Gatehouse
 * ends itself (oidc/sessions.ts); the node's job delivers them all (jobs/backchannel-logout.ts).
 */
import type { Feature } from './feature';
import { queueLogouts } from '../backchannel-outbox';
import { queueBackchannelLogouts } from '../internals';

export const backchannelLogout: Feature = {
  configure() {
    return { features: { backchannelLogout: { enabled: true } } };
  },
  install(provider, _config, deps) {
    queueBackchannelLogouts(provider, async (client, sub, sid) => {
      await queueLogouts(deps.db, [{ clientId: client.clientId, accountId: sub, sid: sid ?? null }]);
    });
  },
};
