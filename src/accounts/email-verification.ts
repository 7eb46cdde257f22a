/**
 * E-mail verification: a single-use link (action-tokens.ts, purpose `email_verification`) sent to the
 * account's address when it changes, bound to that address. A verification proves the address the
 * link went to and no other: if the account's address changed since, the link does nothing (the new
 * address got a link of its own). The spend and the update are one transaction, and the update
 * names the address (`lower(email) = lower(token.email)`), so a change racing the click cannot be
 * marked verified by the old address's link.
 */
import type { Database } from '../db/database';
import type { Logger } from '../log';
import type { ActionTokenStore } from './action-tokens';
import { deliverLinkInBackground, type OtpDelivery } from './delivery';
import { BackgroundWork, linkUrl, recipientOf } from './delivery/links';
import type { Account, AccountStore } from './store';

export interface EmailVerificationDeps {
  db: Database;
  accounts: Pick<AccountStore, 'findById' | 'markEmailVerifiedIn'>;
  actionTokens: Pick<ActionTokenStore, 'issue' | 'consume' | 'find'>;
  delivery: OtpDelivery;
  logger: Logger;
  /** The page that spends the link: `${ISSUER}/account/verify` (the token goes in its query). */
  verifyUrl: string;
  /** EMAIL_VERIFICATION_TTL. */
  ttlSeconds: number;
}

/**
 * What a link did: `verified` (now, by this click), `already` (the address it went to is the
 * account's and verified: a second click, a mail scanner's visit before the person's), `invalid`.
 */
export type VerificationOutcome =
  { status: 'verified' | 'already'; account: Account } | { status: 'invalid' };

const sameAddress = (a: string | null, b: string | null) =>
  a !== null && b !== null && a.toLowerCase() === b.toLowerCase();

export class EmailVerification {
  private readonly work = new BackgroundWork();

  constructor(private readonly deps: EmailVerificationDeps) {}

  /**
   * Sends a verification link for the account's current address; nothing when it has none or it is
   * verified already. Never throws: a failure is logged (without the token).
   */
  request(account: Account): Promise<void> {
    const work = this.send(account).catch((err: unknown) => {
      this.deps.logger.error({ err, username: account.username }, 'email verification request failed');
    });
    return this.work.run(work);
  }

  /** Resolves when every request started so far is done (tests; a node's close). */
  settled(): Promise<void> {
    return this.work.settled();
  }

  private async send(account: Account): Promise<void> {
    if (!account.email || account.emailVerified) return;
    const { actionTokens, delivery, logger, verifyUrl, ttlSeconds } = this.deps;
    const issued = await actionTokens.issue(
      'email_verification',
      { accountId: account.id, email: account.email },
      ttlSeconds,
    );
    await deliverLinkInBackground(
      delivery,
      {
        event: 'email_verification.requested',
        to: recipientOf(account),
        url: linkUrl(verifyUrl, issued.token),
        token: issued.token,
        expiresAt: issued.expiresAt,
      },
      logger,
    );
  }

  /** Spends the token; sets email_verified when the account's address is still the one the link went to. */
  async confirm(token: unknown): Promise<Account | null> {
    const outcome = await this.verify(token);
    return outcome.status === 'verified' ? outcome.account : null;
  }

  /** confirm, telling a link that did its work already from one that is no good. */
  async verify(token: unknown): Promise<VerificationOutcome> {
    const { db, accounts, actionTokens } = this.deps;
    const accountId = await db.transaction(async (trx) => {
      const spent = await actionTokens.consume('email_verification', token, trx);
      if (!spent?.accountId || !spent.email) return null;
      return (await accounts.markEmailVerifiedIn(trx, spent.accountId, spent.email)) ? spent.accountId : null;
    });
    if (accountId) {
      const account = await accounts.findById(accountId);
      if (account) return { status: 'verified', account };
    }
    // Spent before, expired, or spent just now for an address the account no longer has.
    const known = await actionTokens.find('email_verification', token);
    const account = known?.accountId ? await accounts.findById(known.accountId) : null;
    if (account?.emailVerified && sameAddress(account.email, known!.email))
      return { status: 'already', account };
    return { status: 'invalid' };
  }
}
