/**
 * Resource indicators (RFC 8707) and JWT access tokens (RFC 9068) from the registry of APIs (clients/resource-servers.ts).
 */
import type { Feature } from './feature';

export const resourceIndicators: Feature = {
  configure() {
    return {};
  },
};
