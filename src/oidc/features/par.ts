/**
 * Pushed authorization requests (RFC 9126): stored through the adapter; required per client or for all (PAR_REQUIRED).
 */
import type { Feature } from './feature';

export const par: Feature = {
  configure() {
    return {};
  },
};
