/**
 * What the senders of single-use links share (a password reset, an e-mail verification, a sign-up,
 * an invitation): the link's address, its recipient, and the work started after an answer, which a
 * node's close (and a test) waits for before the delivery closes.
 */
import type { Account } from '../store';
import type { LinkMessage } from './types';

/** The page that spends a token, with the token in its query (`?token=`). */
export function linkUrl(page: string, token: string): string {
  return `${page}?token=${encodeURIComponent(token)}`;
}

/** A link's recipient: an account, or only an address (sign-up, invitation). */
export function recipientOf(
  account: Pick<Account, 'email' | 'username' | 'id' | 'phoneNumber'> | { email: string; username?: string },
): LinkMessage['to'] {
  if ('id' in account)
    return {
      email: account.email,
      username: account.username,
      sub: account.id,
      phoneNumber: account.phoneNumber,
    };
  return { email: account.email, username: account.username ?? null, sub: null, phoneNumber: null };
}

/** Work started after an answer, so neither its time nor its outcome tells the caller anything. */
export class BackgroundWork {
  private readonly pending = new Set<Promise<void>>();

  /** Keeps `work` (which must not reject) until it is done. */
  run(work: Promise<void>): Promise<void> {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
    return work;
  }

  /** Resolves when everything started so far is done, including what that started meanwhile. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}
