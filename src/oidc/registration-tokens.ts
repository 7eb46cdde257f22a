/**
 * Initial access tokens (RFC 7591 §3, "initial access token"; OpenID Connect Dynamic Client
 * Registration 1.0 §3): the provider's InitialAccessToken model, saved through the adapter like any
 * of its tokens, so every node accepts it at once and the purge deletes it when it expires. With
 * CLIENT_REGISTRATION=token the registration endpoint requires one as its Bearer token.
 *
 * A token may register any number of clients until it expires (the library does not consume it);
 * each registration is limited per source (security/client-registration-limit.ts). Its value is its
 * id: it is shown once, to whoever created it, and never logged; the audit trail names it by a
 * fingerprint (the first 16 hex digits of its SHA-256), which identifies it without revealing it.
 * The library's adapter writes it outside any transaction of ours, so its event follows the save.
 */
import { createHash } from 'node:crypto';
import type { Provider } from 'oidc-provider';
import { recordAudit } from '../audit/record';
import type { Database } from '../db/database';

/** One day, unless told otherwise: a token that is forgotten does not keep registration open. */
export const DEFAULT_REGISTRATION_TOKEN_TTL = 86_400;

/** At least a minute, at most a year. */
export const REGISTRATION_TOKEN_TTL_RANGE = { min: 60, max: 31_536_000 } as const;

export interface RegistrationToken {
  token: string;
  expiresAt: Date;
}

/** How the audit trail names a token: never the token itself. */
export function registrationTokenFingerprint(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 16);
}

export async function createRegistrationToken(
  provider: Provider,
  options: { expiresIn?: number; audit?: Database } = {},
): Promise<RegistrationToken> {
  const expiresIn = options.expiresIn ?? DEFAULT_REGISTRATION_TOKEN_TTL;
  const { min, max } = REGISTRATION_TOKEN_TTL_RANGE;
  if (!Number.isSafeInteger(expiresIn) || expiresIn < min || expiresIn > max)
    throw new RangeError(`expiresIn must be a whole number of seconds from ${min} to ${max}`);
  const iat = new provider.InitialAccessToken({ expiresIn });
  const token = await iat.save();
  const expiresAt = new Date((iat.exp ?? Math.floor(Date.now() / 1000) + expiresIn) * 1000);
  if (options.audit)
    await recordAudit(options.audit, {
      type: 'registration_token.created',
      target: { type: 'registration_token', id: registrationTokenFingerprint(token) },
      data: { expires_at: expiresAt.toISOString() },
    });
  return { token, expiresAt };
}
