/**
 * DPoP (RFC 9449): a nonce secret every node shares, replay detection through the adapter, DPoP-bound tokens.
 *
 * - The nonces (RFC 9449 §8) are the library's time-stepped HMACs of one secret: derived from
 *   SECRET_KEY, so a nonce one node hands out is accepted by every other.
 * - Nonces are not required (requireNonce false): a proof is accepted within the library's iat window
 *   (five minutes) and its jti only once (allowReplay false, the ReplayDetection model, stored in
 *   oidc_payloads like every model, so a proof used on one node is refused on the others). Every
 *   answer still carries a fresh DPoP-Nonce, and a proof outside the window is answered
 *   use_dpop_nonce, so clients that follow nonces (openid-client does) keep working with skewed clocks.
 * - Binding (RFC 9449 §5): an access token requested with a proof is bound to its key (cnf.jkt); a
 *   public client's refresh token is bound too (§5, "refresh tokens issued to public clients MUST be
 *   bound"); a client registered with `dpop_bound_access_tokens` must always send a proof (§5.2).
 */
import { hkdfSync } from 'node:crypto';
import type { Feature } from './feature';

/** The nonce secret of every node: 32 bytes (lib/helpers/challenge.js takes exactly that). */
export function dpopNonceSecret(secretKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, '', 'gatehouse dpop nonce', 32));
}

export const dpop: Feature = {
  configure(config) {
    return {
      features: {
        dPoP: {
          enabled: true,
          nonceSecret: dpopNonceSecret(config.secretKey),
          requireNonce: () => false,
          allowReplay: false,
        },
      },
    };
  },
};
