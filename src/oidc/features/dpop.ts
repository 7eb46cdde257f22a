/**
 * DPoP (RFC 9449): a nonce secret every node shares, replay detection through the adapter, DPoP-bound tokens.
 */
import type { Feature } from './feature';

export const dpop: Feature = {
  configure() {
    return {};
  },
};
