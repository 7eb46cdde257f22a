/**
 * Dynamic client registration (RFC 7591) and its management (RFC 7592): initial access tokens, the self-registration policy.
 */
import type { Feature } from './feature';

export const registration: Feature = {
  configure() {
    return {};
  },
};
