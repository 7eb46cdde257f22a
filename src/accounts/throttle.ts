/**
 * Sign-in throttling shared by the login page and the password grant: after `maxAttempts` failures
 * for one username within `windowSeconds`, that username is locked for `durationSeconds`.
 * Counted per lower-cased name whether or not an account has it, so the answer never tells
 * whether an account exists.
 */
import type { Database } from '../db/database';

export interface LockoutPolicy {
  maxAttempts: number;
  windowSeconds: number;
  durationSeconds: number;
}

interface ThrottleRow {
  username: string;
  failures: number;
  window_started_at: Date;
  locked_until: Date | null;
}

export class LoginThrottle {
  constructor(
    private readonly db: Database,
    private readonly policy: LockoutPolicy,
  ) {}

  /** The time until which the name is locked, or null. */
  async lockedUntil(username: string, now = new Date()): Promise<Date | null> {
    const row = await this.db<ThrottleRow>('login_throttle')
      .select('locked_until')
      .where('username', username.toLowerCase())
      .first();
    return row?.locked_until && row.locked_until > now ? row.locked_until : null;
  }

  /** Counts one failure; returns the lock's end when this failure locked the name. */
  async recordFailure(username: string, now = new Date()): Promise<Date | null> {
    const key = username.toLowerCase();
    return this.db.transaction(async (trx) => {
      // Insert-or-lock in one statement: from here on the row exists and this transaction holds its
      // lock, even when a concurrent reset deleted it a moment before (a separate insert-if-missing
      // and SELECT FOR UPDATE could find nothing in between).
      const [row] = (await trx('login_throttle')
        .insert({ username: key, failures: 0, window_started_at: now })
        .onConflict('username')
        .merge({ username: key })
        .returning('*')) as ThrottleRow[];
      if (!row) throw new Error('login_throttle upsert returned no row');
      const windowOpen = now.getTime() - row.window_started_at.getTime() < this.policy.windowSeconds * 1000;
      const failures = windowOpen ? row.failures + 1 : 1;
      const lock = failures >= this.policy.maxAttempts;
      const lockedUntil = lock
        ? new Date(now.getTime() + this.policy.durationSeconds * 1000)
        : row.locked_until;
      await trx('login_throttle')
        .where('username', key)
        .update({
          // A lock starts a fresh count for when it ends.
          failures: lock ? 0 : failures,
          window_started_at: windowOpen && !lock ? row.window_started_at : now,
          locked_until: lockedUntil,
        });
      return lock ? lockedUntil : null;
    });
  }

  async reset(username: string): Promise<void> {
    await this.db('login_throttle').where('username', username.toLowerCase()).delete();
  }
}
