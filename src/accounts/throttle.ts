/**
 * Sign-in throttling shared by the login page, the password grant and the one-time-code grant: after
 * `maxAttempts` failures for one name within `windowSeconds`, that name is locked for
 * `durationSeconds`. Counted per lower-cased name whether or not an account has it, so the answer
 * never tells whether an account exists.
 *
 * An attempt is counted before the credential is checked (`reserve`), in one atomic statement, and
 * taken back only by a success (`succeed`). Counting after the check would let every request of a
 * burst read "not locked" before any of them failed: 30 parallel guesses would all reach bcrypt. With
 * the count first, at most `maxAttempts` attempts per window ever reach the check, on any number of
 * nodes, and an attempt whose process dies mid-check stays counted (the safe side).
 *
 * An attempt that finds the window's places all taken by attempts still being checked (not locked)
 * waits for their outcome instead of being refused: if they fail, the name locks and it is refused;
 * if one succeeds, the count starts again and it goes through. Without the wait, a burst of correct
 * sign-ins (an integrator starting eight workers at once) would be refused as if it were guessing.
 */
import type { Knex } from 'knex';
import type { Database, Executor } from '../db/database';
import { recordLocked } from './sign-in-audit';

export interface LockoutPolicy {
  maxAttempts: number;
  windowSeconds: number;
  durationSeconds: number;
}

/** An attempt that may go on to the credential check, or the reason it may not. */
export type Reservation = { ok: true; attempt: number } | { ok: false; lockedUntil: Date };

interface ThrottleRow {
  username: string;
  failures: number;
  window_started_at: Date;
  locked_until: Date | null;
}

/** How long an attempt waits for the attempts ahead of it before it is refused. */
export const PENDING_WAIT_MS = 2000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class LoginThrottle {
  constructor(
    private readonly db: Database,
    private readonly policy: LockoutPolicy,
    private readonly options: { pendingWaitMs?: number } = {},
  ) {}

  /** The time until which the name is locked, or null. `key` is a username key (lower-cased). */
  async lockedUntil(key: string, now = new Date()): Promise<Date | null> {
    const row = await this.db<ThrottleRow>('login_throttle')
      .select('locked_until')
      .where('username', key.toLowerCase())
      .first();
    return row?.locked_until && row.locked_until > now ? row.locked_until : null;
  }

  /**
   * Counts one attempt for the name, unless it is locked. While the window's attempts are all being
   * checked, it waits (polling with a growing pause) for their outcome, up to `pendingWaitMs`; past
   * that it is refused, as when a process died mid-check and its attempts stay counted. `now` is the
   * clock of the first try; later tries add the time waited.
   */
  async reserve(key: string, now = new Date()): Promise<Reservation> {
    const waitMs = this.options.pendingWaitMs ?? PENDING_WAIT_MS;
    const started = Date.now();
    for (let pause = 10; ; pause = Math.min(pause * 2, 100)) {
      const at = new Date(now.getTime() + (Date.now() - started));
      const attempt = await this.take(key, at);
      if (attempt !== null) return { ok: true, attempt };
      const lockedUntil = await this.lockedUntil(key, at);
      if (lockedUntil) return { ok: false, lockedUntil };
      if (Date.now() - started + pause > waitMs)
        return { ok: false, lockedUntil: new Date(at.getTime() + this.policy.durationSeconds * 1000) };
      // Jitter, so that waiters on one name do not all ask in the same instant.
      await sleep(pause + Math.random() * pause);
    }
  }

  /**
   * One statement: the row's lock serialises concurrent reservations, and each sees the count the one
   * before it left, so exactly `maxAttempts` of any burst get a place. Null: locked or no place left.
   */
  private async take(key: string, now: Date): Promise<number | null> {
    const windowStart = new Date(now.getTime() - this.policy.windowSeconds * 1000);
    const result = await this.db.raw<{ rows: Pick<ThrottleRow, 'failures'>[] }>(
      `insert into login_throttle as t (username, failures, window_started_at, locked_until)
       values (:key, 1, :now, null)
       on conflict (username) do update set
         failures = case when t.window_started_at <= :windowStart then 1 else t.failures + 1 end,
         window_started_at = case when t.window_started_at <= :windowStart then :now else t.window_started_at end
       where (t.locked_until is null or t.locked_until <= :now)
         and (t.window_started_at <= :windowStart or t.failures < :max)
       returning failures`,
      { key, now, windowStart, max: this.policy.maxAttempts },
    );
    const row = result.rows[0];
    return row ? Number(row.failures) : null;
  }

  /**
   * The reserved attempt failed. It is already counted; the one that took the window's last attempt
   * locks the name (and starts a fresh count for when the lock ends). Returns the lock's end, or null.
   */
  async fail(
    key: string,
    reservation: { attempt: number },
    now = new Date(),
    trx?: Executor,
  ): Promise<Date | null> {
    if (reservation.attempt < this.policy.maxAttempts) return null;
    const until = new Date(now.getTime() + this.policy.durationSeconds * 1000);
    // The lock and its audit event (user.locked) commit together, in the caller's transaction if any.
    const locked = await inTransaction(trx ?? this.db, async (t) => {
      // A success in between deleted the row: the right credential was shown, nothing to lock.
      const updated = await t('login_throttle')
        .where('username', key)
        .andWhere('failures', '>=', this.policy.maxAttempts)
        .update({ locked_until: until, failures: 0, window_started_at: now });
      // A name's second-factor count (mfa/store.ts) locks the name itself through lock(): recorded there.
      if (updated && !isSecondFactorKey(key)) await recordLocked(t, key, until);
      return updated;
    });
    return locked ? until : null;
  }

  /**
   * The reserved attempt succeeded: the name's count starts again, unless attempts that failed
   * meanwhile locked it, in which case the success is refused too (a lock holds for every request).
   */
  async succeed(key: string, now = new Date()): Promise<{ ok: true } | { ok: false; lockedUntil: Date }> {
    const deleted = await this.db('login_throttle')
      .where('username', key)
      .andWhere((q) => q.whereNull('locked_until').orWhere('locked_until', '<=', now))
      .delete();
    if (deleted) return { ok: true };
    const lockedUntil = await this.lockedUntil(key, now);
    return lockedUntil ? { ok: false, lockedUntil } : { ok: true };
  }

  /**
   * Locks the name until `until` (or keeps a later lock): a lock earned by attempts counted under
   * another key, such as the name's second-factor codes (accounts/mfa/store.ts), so that a name has
   * one lock, answered and lifted like any other.
   */
  async lock(key: string, until: Date, now = new Date(), trx?: Executor): Promise<void> {
    await inTransaction(trx ?? this.db, async (t) => {
      await t.raw(
        `insert into login_throttle as t (username, failures, window_started_at, locked_until)
       values (:key, 0, :now, :until)
       on conflict (username) do update set failures = 0, window_started_at = :now,
         locked_until = greatest(coalesce(t.locked_until, :until), :until)`,
        { key: key.toLowerCase(), now, until },
      );
      await recordLocked(t, key.toLowerCase(), until);
    });
  }

  /** Clears the name's count and lock (an administrator's unlock, a password reset in its transaction). */
  async reset(key: string, trx: Database | Knex.Transaction = this.db): Promise<void> {
    await trx('login_throttle').where('username', key.toLowerCase()).delete();
  }
}

/** The throttle key of a name's second-factor attempts (MfaStore), not a name: `2fa:` + a keyed hash. */
function isSecondFactorKey(key: string): boolean {
  return key.startsWith('2fa:');
}

/** Runs `fn` in the caller's transaction, or in a new one. */
async function inTransaction<T>(db: Executor, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  const trx = db as Partial<Knex.Transaction>;
  if (trx.isTransaction) return fn(db as Knex.Transaction);
  return db.transaction(fn);
}
