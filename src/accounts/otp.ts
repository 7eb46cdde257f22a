/**
 * One-time sign-in codes: six digits from a cryptographic source, stored only as a keyed hash, valid
 * for a short time, single use, and void after too many wrong tries. A new request replaces the old
 * code, at most one request per name per resend interval.
 *
 * The resend interval is kept per lower-cased name whether or not an account has it (a row without a
 * code), so that neither the 202 nor the 429 of /api/request-otp tells whether an account exists.
 * Wrong codes count towards the same sign-in lockout as wrong passwords: without it, five tries per
 * code and a new code every 30 s would let a guesser through a million codes in a few weeks.
 */
import { createHmac, hkdfSync, randomInt } from 'node:crypto';
import type { Database } from '../db/database';
import type { Account, AccountStore } from './store';
import { usernameKey } from './username';

export interface OtpPolicy {
  ttlSeconds: number;
  maxAttempts: number;
  resendIntervalSeconds: number;
}

export const OTP_DIGITS = 6;

/** A code just created for an account, to be delivered to it. */
export interface IssuedOtp {
  account: Account;
  code: string;
  expiresAt: Date;
}

export type OtpRequestResult =
  { status: 'accepted'; issued: IssuedOtp | null } | { status: 'throttled'; retryAfterSeconds: number };

export type OtpAuthResult =
  | { ok: true; account: Account }
  | { ok: false; reason: 'invalid_code' | 'locked' | 'disabled'; lockedUntil?: Date };

interface OtpRow {
  username: string;
  account_id: string | null;
  code_hash: string | null;
  attempts: number;
  requested_at: Date;
  expires_at: Date;
  used_at: Date | null;
}

/** Six decimal digits, uniformly drawn from the operating system's CSPRNG. */
export function generateCode(): string {
  return String(randomInt(0, 10 ** OTP_DIGITS)).padStart(OTP_DIGITS, '0');
}

export class OtpStore {
  private readonly hashKey: Buffer;

  constructor(
    private readonly db: Database,
    private readonly accounts: AccountStore,
    private readonly policy: OtpPolicy,
    /** The server's SECRET_KEY: a code's hash is keyed, so a copy of the table does not reveal codes. */
    secretKey: string,
  ) {
    this.hashKey = Buffer.from(hkdfSync('sha256', secretKey, '', 'gatehouse one-time codes', 32));
  }

  /** A six-digit code has only 20 bits: a plain hash would be reversed at once, a keyed one is not. */
  private hash(name: string, code: string): string {
    return createHmac('sha256', this.hashKey).update(`${name}\0${code}`, 'utf8').digest('hex');
  }

  /**
   * Creates a code for the name, replacing any earlier one, unless a code was requested for the same
   * name within the resend interval. `issued` is null when no enabled, unlocked account has the name:
   * the caller answers alike either way.
   */
  async request(username: string, now = new Date()): Promise<OtpRequestResult> {
    const key = usernameKey(username);
    // No account can have this name: accepted like any unknown name, and nothing is written.
    if (!key) return { status: 'accepted', issued: null };
    // The same queries run for every name, so the time taken does not tell either.
    const [account, lockedUntil] = await Promise.all([
      this.accounts.findByUsername(key),
      this.accounts.throttle.lockedUntil(key, now),
    ]);
    const eligible = account && !account.disabled && !lockedUntil ? account : null;
    const code = eligible ? generateCode() : null;
    const expiresAt = new Date(now.getTime() + this.policy.ttlSeconds * 1000);
    const row: OtpRow = {
      username: key,
      account_id: eligible?.id ?? null,
      code_hash: code ? this.hash(key, code) : null,
      attempts: 0,
      requested_at: now,
      expires_at: expiresAt,
      used_at: null,
    };
    // One conditional upsert: of two concurrent requests only one replaces the row.
    const resendAfter = new Date(now.getTime() - this.policy.resendIntervalSeconds * 1000);
    const written = await this.db('otp_codes')
      .insert(row)
      .onConflict('username')
      .merge(['account_id', 'code_hash', 'attempts', 'requested_at', 'expires_at', 'used_at'])
      .where('otp_codes.requested_at', '<=', resendAfter)
      .returning('username');
    if (written.length === 0) {
      const current = await this.db<OtpRow>('otp_codes')
        .select('requested_at')
        .where('username', key)
        .first();
      const nextAt =
        (current?.requested_at.getTime() ?? now.getTime()) + this.policy.resendIntervalSeconds * 1000;
      return {
        status: 'throttled',
        retryAfterSeconds: Math.max(1, Math.ceil((nextAt - now.getTime()) / 1000)),
      };
    }
    return { status: 'accepted', issued: eligible && code ? { account: eligible, code, expiresAt } : null };
  }

  /**
   * Exchanges a code for its account. A locked name is refused before the code is looked at; a wrong
   * code, an expired or used one and an unknown name are one answer and one failure towards the lockout.
   */
  async authenticate(username: string, code: string, now = new Date()): Promise<OtpAuthResult> {
    const key = usernameKey(username);
    if (!key) return { ok: false, reason: 'invalid_code' };
    // Counted before the code is looked at, as passwords are (LoginThrottle.reserve).
    const reservation = await this.accounts.throttle.reserve(key, now);
    if (!reservation.ok) return { ok: false, reason: 'locked', lockedUntil: reservation.lockedUntil };

    const accountId = await this.consume(key, this.hash(key, code.trim()), now);
    if (!accountId) {
      const locked = await this.accounts.throttle.fail(key, reservation, now);
      return locked
        ? { ok: false, reason: 'locked', lockedUntil: locked }
        : { ok: false, reason: 'invalid_code' };
    }
    const account = await this.accounts.findById(accountId);
    // The code was sent to this account; if its name has changed since, the code is void.
    if (!account || account.username.toLowerCase() !== key) return { ok: false, reason: 'invalid_code' };
    const released = await this.accounts.throttle.succeed(key, now);
    if (!released.ok) return { ok: false, reason: 'locked', lockedUntil: released.lockedUntil };
    if (account.disabled) return { ok: false, reason: 'disabled' };
    return { ok: true, account };
  }

  /**
   * One conditional UPDATE (never read-then-write): a matching code is spent, a wrong one counts a
   * try and is cleared at the limit. The SET expressions all see the row as it was (PostgreSQL
   * UPDATE semantics), and of two concurrent updates the second re-checks the WHERE clause on the
   * row the first wrote, so of two exchanges of one code exactly one returns it.
   * Returns the account id when the code matched.
   */
  private async consume(key: string, codeHash: string, now: Date): Promise<string | null> {
    const { maxAttempts } = this.policy;
    const result = await this.db.raw<{ rows: Pick<OtpRow, 'account_id' | 'used_at'>[] }>(
      `update otp_codes set
         used_at = case when code_hash = :codeHash then :now else used_at end,
         attempts = case when code_hash = :codeHash then attempts else attempts + 1 end,
         code_hash = case when code_hash = :codeHash or attempts + 1 >= :maxAttempts then null else code_hash end
       where username = :key and code_hash is not null and expires_at > :now and attempts < :maxAttempts
       returning account_id, used_at`,
      { codeHash, now, maxAttempts, key },
    );
    const row = result.rows[0];
    return row?.used_at && row.account_id ? row.account_id : null;
  }
}

/** Purges rows whose code has expired and whose resend interval (at most an hour) is over. */
export async function deleteStaleOtpBatch(trx: Database, batchSize: number): Promise<number> {
  const now = new Date();
  const cutoff = new Date(now.getTime() - 3600 * 1000);
  return trx('otp_codes')
    .whereIn(
      'username',
      trx('otp_codes')
        .select('username')
        .where('requested_at', '<', cutoff)
        .andWhere('expires_at', '<', now)
        .limit(batchSize),
    )
    .delete();
}
