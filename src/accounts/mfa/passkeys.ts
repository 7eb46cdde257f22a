/**
 * Passkeys (WebAuthn Level 3) with @simplewebauthn/server: the two ceremonies, registration
 * (§7.1) and authentication (§7.2), split into their options and their verification.
 *
 * A ceremony's challenge is kept in `webauthn_challenges`, not in a node's memory or a cookie, so
 * any node can finish a ceremony another began. It is bound to a purpose and a subject (the
 * interaction uid of a sign-in, the account id of a registration), expires after five minutes, and
 * is taken by one `delete … returning` before anything else is checked: a challenge is used once,
 * by its own ceremony, whatever the outcome (§13.4.3, replay).
 *
 * User verification: registration and the second factor ask for it (`preferred`: a security key
 * without a PIN is still a good second factor after a password); the sign-in with a passkey alone
 * requires it, since the passkey then replaces the password and the device alone must not be enough
 * (§6.2.3; NIST SP 800-63B §5.1.8, a multi-factor cryptographic authenticator).
 */
import { createHash } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Database } from '../../db/database';
import { recordSignInFailed } from '../sign-in-audit';
import type { Method } from './methods';
import { recordFactor } from './factor-audit';

/** How long a begun ceremony may take. */
export const CHALLENGE_TTL_SECONDS = 5 * 60;

/** The longest name a passkey may have (webauthn_credentials.name). */
export const MAX_PASSKEY_NAME_LENGTH = 100;

/** What a challenge was issued for. */
export type CeremonyPurpose = 'register' | 'sign_in' | 'second_factor';

export interface PasskeyOptions {
  /** The RP ID: the issuer's host name (§5.1.3: a registrable domain suffix of the origin). */
  rpId: string;
  rpName: string;
  /** The issuer's origin: the only origin a ceremony may come from. */
  origin: string;
}

/** Why a ceremony's response was refused. */
export type CeremonyRefusal =
  /** No unexpired challenge of this purpose and subject carries the response's challenge. */
  | 'no_challenge'
  /** The response is not a WebAuthn response of the expected shape. */
  | 'invalid_response'
  /** No passkey (or none of the expected account) has this credential id. */
  | 'unknown_credential'
  /** The signature, origin, RP ID, flags or attestation did not verify. */
  | 'not_verified'
  /** The signature counter did not move forwards (§6.1.1: a cloned authenticator), or a race lost. */
  | 'counter'
  /** The credential is registered already. */
  | 'duplicate';

export type RegistrationResult =
  { ok: true; id: string; name: string } | { ok: false; reason: CeremonyRefusal };

export type AuthenticationResult =
  | { ok: true; accountId: string; credentialId: string; methods: Method[]; counter: number }
  | { ok: false; reason: CeremonyRefusal };

interface CredentialRow {
  id: string;
  account_id: string;
  public_key: string;
  counter: string | number;
  transports: string[] | string;
  device_type: string;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

function transportsOf(row: Pick<CredentialRow, 'transports'>): string[] {
  const value = typeof row.transports === 'string' ? JSON.parse(row.transports) : row.transports;
  return Array.isArray(value) ? value.filter((t): t is string => typeof t === 'string') : [];
}

/** The challenge a response answers (its clientDataJSON, §5.8.1), or null when it has none. */
function challengeOf(response: unknown): string | null {
  const data = (response as { response?: { clientDataJSON?: unknown } } | null)?.response?.clientDataJSON;
  if (typeof data !== 'string' || data.length > 4096) return null;
  try {
    const parsed = JSON.parse(Buffer.from(data, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof parsed.challenge === 'string' && parsed.challenge.length <= 200 ? parsed.challenge : null;
  } catch {
    return null;
  }
}

function isResponse(value: unknown): value is { id: string; rawId: string; type: string; response: object } {
  const v = value as Record<string, unknown> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'string' &&
    v.id.length > 0 &&
    v.id.length <= 1024 &&
    typeof v.rawId === 'string' &&
    v.type === 'public-key' &&
    typeof v.response === 'object' &&
    v.response !== null
  );
}

/**
 * RFC 8176 §2 methods of a verified assertion: `swk` for a synced passkey (its key can leave the
 * device: backup eligible, WebAuthn §6.1.3 `multiDevice`), `hwk` for one bound to its authenticator,
 * and `user` when the authenticator verified the person (the UV flag, §6.1).
 */
export function passkeyMethods(deviceType: string, userVerified: boolean): Method[] {
  const key: Method = deviceType === 'multiDevice' ? 'swk' : 'hwk';
  return userVerified ? [key, 'user'] : [key];
}

export class PasskeyCeremonies {
  constructor(
    private readonly db: Database,
    private readonly options: PasskeyOptions,
  ) {}

  /** Keeps a challenge for `purpose` and `subject`, for CHALLENGE_TTL_SECONDS. */
  private async hold(purpose: CeremonyPurpose, subject: string, challenge: string): Promise<void> {
    await this.db('webauthn_challenges').insert({
      id: sha256(challenge),
      purpose,
      subject,
      challenge,
      expires_at: new Date(Date.now() + CHALLENGE_TTL_SECONDS * 1000),
    });
  }

  /** Takes the response's challenge if it was issued for this purpose and subject and is unexpired. */
  private async take(purpose: CeremonyPurpose, subject: string, response: unknown): Promise<string | null> {
    const challenge = challengeOf(response);
    if (!challenge) return null;
    // One statement: of two requests with the same challenge, only one gets the row (§13.4.3).
    const rows = (await this.db('webauthn_challenges')
      .where({ id: sha256(challenge), purpose, subject })
      .delete()
      .returning(['challenge', 'expires_at'])) as { challenge: string; expires_at: Date }[];
    const row = rows[0];
    if (!row || new Date(row.expires_at).getTime() <= Date.now() || row.challenge !== challenge) return null;
    return challenge;
  }

  private async credentialsOf(accountId: string): Promise<CredentialRow[]> {
    return this.db<CredentialRow>('webauthn_credentials')
      .where('account_id', accountId)
      .select('id', 'account_id', 'public_key', 'counter', 'transports', 'device_type');
  }

  /** Whether the account has a passkey (the second-factor page offers one then). */
  async hasPasskeys(accountId: string): Promise<boolean> {
    return Boolean(await this.db('webauthn_credentials').where('account_id', accountId).first('id'));
  }

  /**
   * The options of a registration (§5.4) for an account: a discoverable credential (so the sign-in
   * needs no username), none of the account's own passkeys again (`excludeCredentials`).
   */
  async registrationOptions(account: {
    id: string;
    username: string;
  }): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.credentialsOf(account.id);
    const options = await generateRegistrationOptions({
      rpName: this.options.rpName,
      rpID: this.options.rpId,
      userName: account.username,
      // The user handle (§14.6.1: no personal data in it) is the account id, which a discoverable
      // assertion returns and which is checked against the credential's account.
      userID: new TextEncoder().encode(account.id),
      attestationType: 'none',
      excludeCredentials: existing.map((row) => ({ id: row.id, transports: transportsOf(row) })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    });
    await this.hold('register', account.id, options.challenge);
    return options;
  }

  /** Verifies a registration response (§7.1) and stores the new passkey under `name`. */
  async register(accountId: string, response: unknown, name: string): Promise<RegistrationResult> {
    const challenge = await this.take('register', accountId, response);
    if (!challenge) return { ok: false, reason: 'no_challenge' };
    if (!isResponse(response)) return { ok: false, reason: 'invalid_response' };
    let verification;
    try {
      verification = await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: this.options.origin,
        expectedRPID: this.options.rpId,
        requireUserVerification: false,
      });
    } catch {
      return { ok: false, reason: 'not_verified' };
    }
    if (!verification.verified) return { ok: false, reason: 'not_verified' };
    const info = verification.registrationInfo;
    const transports =
      (response as RegistrationResponseJSON).response.transports ?? info.credential.transports;
    const db = this.db;
    const inserted = await db.transaction(async (trx) => {
      const rows = (await trx('webauthn_credentials')
        .insert({
          id: info.credential.id,
          account_id: accountId,
          public_key: Buffer.from(info.credential.publicKey).toString('base64url'),
          counter: info.credential.counter,
          transports: JSON.stringify(Array.isArray(transports) ? transports : []),
          device_type: info.credentialDeviceType,
          backed_up: info.credentialBackedUp,
          name,
        })
        // §7.1 step 26: a credential id registered already (to anyone) is refused.
        .onConflict('id')
        .ignore()
        .returning('id')) as { id: string }[];
      if (rows.length)
        await recordFactor(trx, 'user.mfa_enrolled', accountId, 'passkey', {
          type: 'account',
          id: accountId,
        });
      return rows;
    });
    if (!inserted.length) return { ok: false, reason: 'duplicate' };
    return { ok: true, id: info.credential.id, name };
  }

  /**
   * The options of an authentication (§5.5). Without an account: a discoverable sign-in, no
   * `allowCredentials`, the authenticator offers what it holds for this RP ID. With one: its passkeys.
   */
  async authenticationOptions(
    purpose: Exclude<CeremonyPurpose, 'register'>,
    subject: string,
    accountId?: string,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const allow = accountId ? await this.credentialsOf(accountId) : undefined;
    const options = await generateAuthenticationOptions({
      rpID: this.options.rpId,
      ...(allow
        ? { allowCredentials: allow.map((row) => ({ id: row.id, transports: transportsOf(row) })) }
        : {}),
      userVerification: purpose === 'sign_in' ? 'required' : 'preferred',
    });
    await this.hold(purpose, subject, options.challenge);
    return options;
  }

  /**
   * Verifies an assertion (§7.2): the challenge of this purpose and subject, a known credential (of
   * `accountId` when given), the signature, origin and RP ID; then raises the signature counter by a
   * compare-and-set and records the use.
   *
   * A refused assertion of a known ceremony is a refused sign-in, recorded in the audit trail
   * (user.sign_in_failed): `second_factor` at the second step, `invalid_credentials` as the first
   * factor. A missing challenge or a malformed response showed no credential and is not recorded.
   */
  async authenticate(
    purpose: Exclude<CeremonyPurpose, 'register'>,
    subject: string,
    response: unknown,
    accountId?: string,
    clientId?: string | null,
  ): Promise<AuthenticationResult> {
    const result = await this.verifyAssertion(purpose, subject, response, accountId);
    // No credential was shown: no sign-in attempt to record.
    const NOT_SHOWN: readonly CeremonyRefusal[] = ['no_challenge', 'invalid_response'];
    if (!result.ok && !NOT_SHOWN.includes(result.reason))
      await recordSignInFailed(
        this.db,
        purpose === 'second_factor' ? 'second_factor' : 'invalid_credentials',
        { method: 'passkey', clientId, ...(purpose === 'second_factor' && accountId ? { accountId } : {}) },
      );
    return result;
  }

  private async verifyAssertion(
    purpose: Exclude<CeremonyPurpose, 'register'>,
    subject: string,
    response: unknown,
    accountId?: string,
  ): Promise<AuthenticationResult> {
    const challenge = await this.take(purpose, subject, response);
    if (!challenge) return { ok: false, reason: 'no_challenge' };
    if (!isResponse(response)) return { ok: false, reason: 'invalid_response' };
    const row = await this.db<CredentialRow>('webauthn_credentials')
      .where('id', response.id)
      .first('id', 'account_id', 'public_key', 'counter', 'transports', 'device_type');
    if (!row || (accountId !== undefined && row.account_id !== accountId))
      return { ok: false, reason: 'unknown_credential' };
    // §7.2 step 6: the user handle, when the authenticator returns one, names the credential's account.
    const userHandle = (response as AuthenticationResponseJSON).response.userHandle;
    if (userHandle && Buffer.from(userHandle, 'base64url').toString('utf8') !== row.account_id)
      return { ok: false, reason: 'unknown_credential' };

    const storedCounter = Number(row.counter);
    let verification;
    try {
      verification = await verifyAuthenticationResponse({
        response: response as AuthenticationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: this.options.origin,
        expectedRPID: this.options.rpId,
        credential: {
          id: row.id,
          publicKey: new Uint8Array(Buffer.from(row.public_key, 'base64url')),
          counter: storedCounter,
          transports: transportsOf(row),
        },
        requireUserVerification: purpose === 'sign_in',
      });
    } catch (err) {
      // The library refuses a counter that did not move forwards (§6.1.1) with this message.
      return { ok: false, reason: /counter/i.test((err as Error).message) ? 'counter' : 'not_verified' };
    }
    if (!verification.verified) return { ok: false, reason: 'not_verified' };
    const info = verification.authenticationInfo;

    // Compare-and-set: the counter only moves forwards, so of two assertions with one counter value
    // (a cloned authenticator, a replay racing the original) only one raises it. Authenticators that
    // keep no counter always say 0 (§6.1.1), which stays 0.
    const updated = await this.db('webauthn_credentials')
      .where('id', row.id)
      .andWhere((q) =>
        info.newCounter === 0 ? q.where('counter', 0) : q.where('counter', '<', info.newCounter),
      )
      .update({ counter: info.newCounter, backed_up: info.credentialBackedUp, last_used_at: new Date() });
    if (!updated) return { ok: false, reason: 'counter' };
    return {
      ok: true,
      accountId: row.account_id,
      credentialId: row.id,
      methods: passkeyMethods(info.credentialDeviceType, info.userVerified),
      counter: info.newCounter,
    };
  }
}
