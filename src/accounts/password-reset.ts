/**
 * A forgotten password: a single-use link (action-tokens.ts, purpose `password_reset`) sent through
 * the delivery, and the new password it lets a person set.
 *
 * The request answers the same whether or not an account has the name or address, in body and in
 * time: the caller answers first, and the look-up, the token and the delivery happen afterwards, in
 * the background (`request` returns before any of it). A failure there is logged without the token.
 *
 * The confirmation checks the password rules, hashes outside any transaction (bcrypt is slow; a
 * transaction holds locks), then in ONE transaction spends the link (a conditional update: of two
 * racing confirmations exactly one wins), sets the hash, revokes every session, grant and token of
 * the account, spends its other reset links and lifts its sign-in lockout. Second factors stay: a
 * reset proves the mailbox, not the authenticator, so the next sign-in still asks for them.
 */
import type { Database } from '../db/database';
import type { Logger } from '../log';
import type { ActionTokenStore } from './action-tokens';
import { deliverLinkInBackground, type OtpDelivery } from './delivery';
import { BackgroundWork, linkUrl, recipientOf } from './delivery/links';
import { checkPasswordRules } from './password-rules';
import type { Account, AccountStore } from './store';
import { usernameKey } from './username';

/** What a reset is asked for: a username as sign-in folds it, or an address (the API takes one). */
export interface ResetRequest {
  username?: string;
  email?: string;
}

/** An address may belong to several accounts; past this many the rest get no link. */
export const MAX_ACCOUNTS_PER_ADDRESS = 10;

export interface PasswordResetDeps {
  db: Database;
  accounts: Pick<
    AccountStore,
    'findByUsername' | 'findByEmail' | 'hashNewPassword' | 'resetPasswordIn' | 'passwordPolicy'
  >;
  actionTokens: Pick<ActionTokenStore, 'issue' | 'peek' | 'consume' | 'revokeFor'>;
  delivery: OtpDelivery;
  logger: Logger;
  /** The page that spends the link: `${ISSUER}/account/reset` (the token goes in its query). */
  resetUrl: string;
  /** PASSWORD_RESET_TTL. */
  ttlSeconds: number;
}

export class PasswordReset {
  private readonly work = new BackgroundWork();

  constructor(private readonly deps: PasswordResetDeps) {}

  /**
   * Starts looking up the account(s) and sending their links, and returns at once: nothing the
   * caller answers can depend on whether an account exists. Never rejects.
   */
  request(who: ResetRequest): void {
    const work = this.send(who).catch((err: unknown) => {
      this.deps.logger.error({ err }, 'password reset request failed');
    });
    void this.work.run(work);
  }

  /** Resolves when every request started so far is done (tests; a node's close). */
  settled(): Promise<void> {
    return this.work.settled();
  }

  private async find(who: ResetRequest): Promise<Account[]> {
    const found = new Map<string, Account>();
    if (who.username !== undefined && usernameKey(who.username)) {
      const account = await this.deps.accounts.findByUsername(who.username);
      if (account) found.set(account.id, account);
    }
    if (who.email !== undefined)
      for (const account of await this.deps.accounts.findByEmail(who.email, MAX_ACCOUNTS_PER_ADDRESS))
        found.set(account.id, account);
    // A disabled account cannot sign in, so it gets no way to set a password either.
    return [...found.values()].filter((account) => !account.disabled);
  }

  private async send(who: ResetRequest): Promise<void> {
    const { actionTokens, delivery, logger, resetUrl, ttlSeconds } = this.deps;
    for (const account of await this.find(who)) {
      const issued = await actionTokens.issue(
        'password_reset',
        { accountId: account.id, email: account.email },
        ttlSeconds,
      );
      await deliverLinkInBackground(
        delivery,
        {
          event: 'password_reset.requested',
          to: recipientOf(account),
          url: linkUrl(resetUrl, issued.token),
          token: issued.token,
          expiresAt: issued.expiresAt,
        },
        logger,
      );
    }
  }

  /** Whether the link is live (unspent, unexpired): the page shows its form only then. */
  async isLive(token: unknown): Promise<boolean> {
    return (await this.deps.actionTokens.peek('password_reset', token)) !== null;
  }

  /**
   * Sets the new password if the link is live. Throws PasswordRuleError before looking at the link;
   * false for an unknown, expired or spent link (or an account disabled or deleted since).
   */
  async confirm(token: unknown, newPassword: string): Promise<boolean> {
    const { db, accounts, actionTokens } = this.deps;
    // The rules first, so the answer names the password whatever the link; then a cheap look at the
    // link, so that a made-up token costs no bcrypt hash. The spend below is what decides.
    checkPasswordRules(accounts.passwordPolicy, newPassword);
    if (!(await actionTokens.peek('password_reset', token))) return false;
    const passwordHash = await accounts.hashNewPassword(newPassword);
    return db.transaction(async (trx) => {
      const spent = await actionTokens.consume('password_reset', token, trx);
      if (!spent?.accountId) return false;
      if (!(await accounts.resetPasswordIn(trx, spent.accountId, passwordHash))) return false;
      await actionTokens.revokeFor(spent.accountId, 'password_reset', trx);
      return true;
    });
  }
}
