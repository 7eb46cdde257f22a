/**
 * An account's second factors as one store: the authenticator app (totp.ts), the recovery codes
 * (recovery-codes.ts) and the passkeys registered for it (their ceremonies are passkeys.ts). The
 * login page, the password grant, the account API, the admin API and the CLI all go through here.
 *
 * A wrong code counts towards the same sign-in lockout as a wrong password (LoginThrottle, per
 * lower-cased username): without it, a million six-digit codes would fall to a patient guesser who
 * has the password, and a second factor would add little.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import type { Database } from '../../db/database';
import { SecretBox } from '../../security/secret-box';
import type { RevokeAccountState } from '../store';
import type { LoginThrottle } from '../throttle';
import { recordSignInFailed, type SignInAttempt } from '../sign-in-audit';
import { usernameKey } from '../username';
import { recordFactor } from './factor-audit';
import { RecoveryCodes } from './recovery-codes';
import { TotpFactors, type TotpEnrollment, type TotpFactor } from './totp';

export interface PasskeySummary {
  id: string;
  name: string;
  /** `multiDevice`: a synced passkey; `singleDevice`: bound to one authenticator. */
  deviceType: string;
  backedUp: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** What an account has enrolled; never a secret. */
export interface FactorSummary {
  totp: TotpFactor | null;
  passkeys: PasskeySummary[];
  recoveryCodesRemaining: number;
}

/** Which kind of code was accepted. */
export type CodeKind = 'totp' | 'recovery';

export type SecondFactorResult =
  { ok: true; kind: CodeKind } | { ok: false; reason: 'invalid_code' | 'locked'; lockedUntil?: Date };

export interface MfaOptions {
  /** SECRET_KEY: seals TOTP secrets and keys the recovery codes' hashes. */
  secretKey: string;
  /** The label authenticator apps show (the issuer's host). */
  issuerLabel: string;
  throttle: LoginThrottle;
  revokeState?: RevokeAccountState;
}

interface PasskeyRow {
  id: string;
  name: string;
  device_type: string;
  backed_up: boolean;
  created_at: Date;
  last_used_at: Date | null;
}

export class MfaStore {
  readonly totp: TotpFactors;
  readonly recoveryCodes: RecoveryCodes;
  private readonly throttle: LoginThrottle;
  private readonly revokeState: RevokeAccountState;
  private readonly throttleKey: Buffer;

  constructor(
    private readonly db: Database,
    options: MfaOptions,
  ) {
    this.totp = new TotpFactors(db, new SecretBox(options.secretKey), options.issuerLabel);
    this.recoveryCodes = new RecoveryCodes(db, options.secretKey);
    this.throttle = options.throttle;
    this.revokeState = options.revokeState ?? (async () => 0);
    this.throttleKey = Buffer.from(
      hkdfSync('sha256', options.secretKey, 'gatehouse', 'gatehouse:second-factor-throttle:v1', 32),
    );
  }

  async passkeys(accountId: string): Promise<PasskeySummary[]> {
    const rows = await this.db<PasskeyRow>('webauthn_credentials')
      .where('account_id', accountId)
      .orderBy('created_at')
      .select('id', 'name', 'device_type', 'backed_up', 'created_at', 'last_used_at');
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      deviceType: r.device_type,
      backedUp: r.backed_up,
      createdAt: r.created_at,
      lastUsedAt: r.last_used_at,
    }));
  }

  async summary(accountId: string): Promise<FactorSummary> {
    const [totp, passkeys, recoveryCodesRemaining] = await Promise.all([
      this.totp.find(accountId),
      this.passkeys(accountId),
      this.recoveryCodes.remaining(accountId),
    ]);
    return { totp, passkeys, recoveryCodesRemaining };
  }

  /** Whether the account has an active second factor: an authenticator app or a passkey. */
  async hasSecondFactor(accountId: string, trx: Database = this.db): Promise<boolean> {
    const row = await trx.raw<{ rows: { active: boolean }[] }>(
      `select exists (select 1 from mfa_totp where account_id = :id and status = 'active')
           or exists (select 1 from webauthn_credentials where account_id = :id) as active`,
      { id: accountId },
    );
    return Boolean(row.rows[0]?.active);
  }

  /** Starts (or restarts) an authenticator-app enrollment; null when one is active already. */
  async startTotp(account: { id: string; username: string }): Promise<TotpEnrollment | null> {
    return this.totp.start(account);
  }

  /**
   * Activates the pending authenticator app with a first code from it. Returns ten new recovery codes
   * (shown once), or null for a wrong code or no pending enrollment (nothing changes then).
   */
  async confirmTotp(accountId: string, code: string): Promise<string[] | null> {
    return this.db.transaction(async (trx) => {
      if (!(await this.totp.check(accountId, code, 'pending', trx))) return null;
      const codes = await this.recoveryCodes.replace(accountId, trx);
      await recordFactor(trx, 'user.mfa_enrolled', accountId, 'totp', { type: 'account', id: accountId });
      return codes;
    });
  }

  /** Checks a code from the authenticator app or a recovery code (spent if right), without the lockout. */
  async checkCode(accountId: string, code: string): Promise<CodeKind | null> {
    if (await this.totp.check(accountId, code, 'active')) return 'totp';
    if (await this.recoveryCodes.use(accountId, code)) return 'recovery';
    return null;
  }

  /**
   * The second factor of a sign-in (or of removing a factor): an app's code or a recovery code,
   * counted against the account's sign-in lockout like a password. A locked name is refused before
   * the code is looked at.
   *
   * Each attempt is counted twice: under the name, with wrong passwords (one lockout per name), and
   * under the name's second-factor key, which only a right code takes back. The second count is what
   * stops a guesser who has the password: the right password before each code would otherwise take
   * the name's count back every time (LoginThrottle.succeed), and codes could be tried without end.
   *
   * `attempt`: this is the second step of a sign-in, whose refusal the audit trail records
   * (user.sign_in_failed, reason second_factor or locked), in the transaction that counts it.
   */
  async verifyCode(
    account: { id: string; username: string },
    code: string,
    attempt?: SignInAttempt,
  ): Promise<SecondFactorResult> {
    const key = usernameKey(account.username);
    if (!key) return { ok: false, reason: 'invalid_code' };
    const refused = (reason: 'second_factor' | 'locked', trx: Database = this.db) =>
      attempt
        ? recordSignInFailed(trx, reason, { ...attempt, username: account.username, accountId: account.id })
        : undefined;
    const codesKey = this.secondFactorKey(key);
    const reservation = await this.throttle.reserve(key);
    if (!reservation.ok) {
      await refused('locked');
      return { ok: false, reason: 'locked', lockedUntil: reservation.lockedUntil };
    }
    // Refused here, the name's attempt stays counted (the safe side, as for a process that died).
    const codes = await this.throttle.reserve(codesKey);
    if (!codes.ok) {
      await refused('locked');
      return { ok: false, reason: 'locked', lockedUntil: codes.lockedUntil };
    }
    const kind = await this.checkCode(account.id, code);
    if (!kind) {
      const lockedUntil = await this.db.transaction(async (trx) => {
        const now = new Date();
        const nameLocked = await this.throttle.fail(key, reservation, now, trx);
        const codesLocked = await this.throttle.fail(codesKey, codes, now, trx);
        await refused('second_factor', trx);
        if (!codesLocked) return nameLocked;
        // Locked once: a name the count of its wrong passwords locked already keeps that lock.
        return nameLocked
          ? (await this.throttle.reset(codesKey, trx), nameLocked)
          : this.lockNameFor(key, codesKey, codesLocked, trx);
      });
      return lockedUntil
        ? { ok: false, reason: 'locked', lockedUntil }
        : { ok: false, reason: 'invalid_code' };
    }
    const released = await this.throttle.succeed(key);
    if (!released.ok) return { ok: false, reason: 'locked', lockedUntil: released.lockedUntil };
    const releasedCodes = await this.throttle.succeed(codesKey);
    if (!releasedCodes.ok) return { ok: false, reason: 'locked', lockedUntil: releasedCodes.lockedUntil };
    return { ok: true, kind };
  }

  /**
   * The throttle key of a name's second-factor attempts: a keyed hash of the name (64 hex digits
   * behind a prefix no username can hold, so it fits login_throttle.username and no presented name
   * can be made to count towards another's without SECRET_KEY).
   */
  private secondFactorKey(nameKey: string): string {
    return `2fa:${createHmac('sha256', this.throttleKey).update(nameKey).digest('hex')}`;
  }

  /**
   * Moves the lock of a name's second-factor count onto the name itself: one lockout, so that the
   * password sign-in answers a locked name as it always does (telling nobody the password was right)
   * and an administrator's unlock of the name opens it all; the second-factor count starts again, as
   * the name's own does after a lock.
   */
  private async lockNameFor(key: string, codesKey: string, until: Date, trx?: Database): Promise<Date> {
    await this.throttle.lock(key, until, new Date(), trx);
    await this.throttle.reset(codesKey, trx);
    return until;
  }

  /**
   * Removes the authenticator app, proven by a current code or a recovery code (counted like a
   * sign-in). The recovery codes go with the last second factor.
   */
  async removeTotp(
    account: { id: string; username: string },
    code: string,
  ): Promise<'removed' | 'not_enrolled' | Extract<SecondFactorResult, { ok: false }>> {
    const factor = await this.totp.find(account.id);
    if (!factor) return 'not_enrolled';
    if (factor.status === 'active') {
      const verified = await this.verifyCode(account, code);
      if (!verified.ok) return verified;
    }
    await this.db.transaction(async (trx) => {
      // A pending enrollment (never confirmed) was no second factor: its removal is no event.
      const removed = await this.totp.remove(account.id, trx);
      if (removed && factor.status === 'active')
        await recordFactor(trx, 'user.mfa_removed', account.id, 'totp');
      await this.dropRecoveryCodesIfLast(account.id, trx);
    });
    return 'removed';
  }

  /** Removes one passkey of the account; the recovery codes go with the last second factor. */
  async removePasskey(accountId: string, credentialId: string): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const deleted = await trx('webauthn_credentials')
        .where({ account_id: accountId, id: credentialId })
        .delete();
      if (deleted) {
        await recordFactor(trx, 'user.mfa_removed', accountId, 'passkey');
        await this.dropRecoveryCodesIfLast(accountId, trx);
      }
      return deleted > 0;
    });
  }

  private async dropRecoveryCodesIfLast(accountId: string, trx: Database): Promise<void> {
    // Serialised with a regeneration (RecoveryCodes.lock), which checks for a factor under the lock.
    await this.recoveryCodes.lock(accountId, trx);
    const active = await trx('mfa_totp')
      .where({ account_id: accountId, status: 'active' })
      .first('account_id');
    const passkey = await trx('webauthn_credentials').where('account_id', accountId).first('id');
    if (!active && !passkey && (await this.recoveryCodes.removeAll(accountId, trx)))
      await recordFactor(trx, 'user.mfa_removed', accountId, 'recovery_codes');
  }

  /** Ten new recovery codes in place of the old ones; null when the account has no second factor. */
  async regenerateRecoveryCodes(accountId: string): Promise<string[] | null> {
    return this.db.transaction(async (trx) => {
      await this.recoveryCodes.lock(accountId, trx);
      if (!(await this.hasSecondFactor(accountId, trx))) return null;
      const codes = await this.recoveryCodes.replace(accountId, trx);
      await recordFactor(trx, 'user.mfa_enrolled', accountId, 'recovery_codes', {
        type: 'account',
        id: accountId,
      });
      return codes;
    });
  }

  /**
   * An operator's reset (a person who lost every factor): removes all of them and ends the account's
   * sessions, grants and tokens, in one transaction. Returns whether the account had any.
   */
  async reset(accountId: string): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const totp = await trx('mfa_totp').where('account_id', accountId).delete();
      const passkeys = await trx('webauthn_credentials').where('account_id', accountId).delete();
      const codes = await trx('mfa_recovery_codes').where('account_id', accountId).delete();
      await this.revokeState(trx, accountId);
      // By whoever reset them (the context's actor: an administrator, the CLI), one event per factor.
      if (totp) await recordFactor(trx, 'user.mfa_removed', accountId, 'totp');
      if (passkeys) await recordFactor(trx, 'user.mfa_removed', accountId, 'passkey');
      if (codes) await recordFactor(trx, 'user.mfa_removed', accountId, 'recovery_codes');
      return totp + passkeys + codes > 0;
    });
  }
}
