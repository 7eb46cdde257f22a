/**
 * The device authorization grant (RFC 8628): the endpoint, the code lifetimes; the pages come from interactions/device.
 */
import type { Feature } from './feature';

export const deviceFlow: Feature = {
  configure() {
    return {};
  },
};
