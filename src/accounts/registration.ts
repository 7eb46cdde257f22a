/**
 * Sign-up (REGISTRATION=open) and invitations (REGISTRATION=invite or open): accounts that people
 * create themselves, each through a single-use link (action-tokens.ts) sent by the delivery.
 *
 * - Sign-up: the form's username, address and password (hashed now, so the password rules apply and
 *   the hash is all that is kept) ride in a `registration` link to the address; no account exists
 *   until the link is opened. Opening it creates the account, e-mail verified, in the transaction
 *   that spends the link: the address is proven before anyone can sign in with the account.
 * - No enumeration: a username that is taken, or an address that belongs to an account, gets the
 *   answer of a free one, and nothing is sent. The password is hashed first in every case, so the
 *   answer takes the same time either way.
 * - An invitation: an administrator's `invitation` link to an address, with the roles the account
 *   will have; opening it asks for a username and password, and the account (that address,
 *   verified, those roles) is created in the transaction that spends the link. A taken username
 *   rolls the transaction back: the link stays usable.
 */
import type { Knex } from 'knex';
import { z } from 'zod';
import { recordAudit } from '../audit/record';
import type { Config } from '../config';
import type { Database } from '../db/database';
import { isStorableText } from '../db/text';
import { GatehouseError, badRequest, conflict } from '../errors';
import type { Logger } from '../log';
import type { ActionTokenStore } from './action-tokens';
import { deliverLinkInBackground, type LinkMessage, type OtpDelivery } from './delivery';
import { BackgroundWork, linkUrl, recipientOf } from './delivery/links';
import { PasswordRuleError, passwordProblem } from './password-rules';
import type { RoleStore } from './roles';
import type { Account, AccountStore } from './store';
import { USERNAME_PATTERN } from './username';

/** The pages that spend the links (src/interactions/account/client.ts ACCOUNT_PATHS names them too). */
export const SIGN_UP_VERIFY_PATH = '/account/register/verify';
export const INVITATION_PATH = '/account/invitation';

/** accounts.email is 254 characters (RFC 5321 §4.5.3.1.3 allows a path of 256 with its brackets). */
const MAX_EMAIL_LENGTH = 254;
const emailSchema = z.email().max(MAX_EMAIL_LENGTH);

/** The fields a person fills in, and what can be wrong with each. */
export type RegistrationField = 'username' | 'email' | 'password';
export type FieldProblem = 'missing' | 'invalid' | 'too_short' | 'too_long' | 'taken';

const PROBLEM_TEXT: Record<FieldProblem, string> = {
  missing: 'is required',
  invalid: 'is not valid',
  too_short: 'is too short',
  too_long: 'is too long',
  taken: 'is taken',
};

/**
 * Input the form must show again, with each bad field's problem (`problems`, for the page's words;
 * `details`, in English, for an API). Field problems say nothing about other people's accounts,
 * except `taken` on the invitation form, which only the holder of a live invitation sees.
 */
export class RegistrationInputError extends GatehouseError {
  constructor(readonly problems: Partial<Record<RegistrationField, FieldProblem>>) {
    const details = Object.fromEntries(
      Object.entries(problems).map(([field, problem]) => [field, PROBLEM_TEXT[problem]]),
    );
    const status = Object.values(problems).includes('taken') ? 409 : 400;
    super(status === 409 ? 'conflict' : 'invalid_request', status, 'the form has errors', { details });
    this.name = 'RegistrationInputError';
  }
}

export interface SignUpInput {
  username?: unknown;
  email?: unknown;
  password?: unknown;
}

export interface Invitation {
  email: string;
  roles: string[];
  expiresAt: Date;
}

/** What opening a link did: the new account, or why there is none. */
export type Completion =
  { ok: true; account: Account } | { ok: false; reason: 'invalid_link' | 'username_taken' };

export interface RegistrationDeps {
  db: Database;
  accounts: Pick<
    AccountStore,
    'findByUsername' | 'findByEmail' | 'hashNewPassword' | 'passwordPolicy' | 'createWithHashIn' | 'findById'
  >;
  actionTokens: Pick<ActionTokenStore, 'issue' | 'peek' | 'consume'>;
  roles: Pick<RoleStore, 'exists'>;
  delivery: OtpDelivery;
  logger: Logger;
  config: Pick<Config, 'issuer' | 'registration'> & {
    links: Pick<Config['links'], 'emailVerificationTtlSeconds' | 'invitationTtlSeconds'>;
  };
}

/** Rolls the account's transaction back (the link stays unspent) when the username is taken. */
class UsernameTaken extends Error {}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function usernameProblem(username: string): FieldProblem | null {
  if (!username) return 'missing';
  return USERNAME_PATTERN.test(username) ? null : 'invalid';
}

function emailProblem(email: string): FieldProblem | null {
  if (!email) return 'missing';
  if (email.length > MAX_EMAIL_LENGTH) return 'too_long';
  return isStorableText(email) && emailSchema.safeParse(email).success ? null : 'invalid';
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === '23505';
}

export class Registration {
  private readonly work = new BackgroundWork();

  constructor(private readonly deps: RegistrationDeps) {}

  get mode(): Config['registration'] {
    return this.deps.config.registration;
  }

  /** The rules of a new password, as a field problem (all fields are judged before any hashing). */
  private passwordProblem(password: string): FieldProblem | null {
    if (!password) return 'missing';
    const problem = passwordProblem(this.deps.accounts.passwordPolicy, password);
    if (!problem) return null;
    return [...password].length < this.deps.accounts.passwordPolicy.minLength
      ? 'too_short'
      : [...password].length > this.deps.accounts.passwordPolicy.maxLength
        ? 'too_long'
        : 'invalid';
  }

  private async hash(password: string): Promise<string> {
    try {
      return await this.deps.accounts.hashNewPassword(password);
    } catch (err) {
      if (err instanceof PasswordRuleError) throw new RegistrationInputError({ password: 'invalid' });
      throw err;
    }
  }

  /**
   * The sign-up form (REGISTRATION=open). Throws RegistrationInputError for bad fields; otherwise
   * answers the same, sent or not: the address is the only one told whether the name was free.
   */
  async signUp(input: SignUpInput): Promise<{ email: string }> {
    const username = text(input.username).trim();
    const email = text(input.email).trim();
    const password = text(input.password);
    const problems: Partial<Record<RegistrationField, FieldProblem>> = {};
    const u = usernameProblem(username);
    if (u) problems.username = u;
    const e = emailProblem(email);
    if (e) problems.email = e;
    const p = this.passwordProblem(password);
    if (p) problems.password = p;
    if (Object.keys(problems).length) throw new RegistrationInputError(problems);

    const passwordHash = await this.hash(password);
    const taken =
      (await this.deps.accounts.findByUsername(username)) ||
      (await this.deps.accounts.findByEmail(email, 1)).length > 0;
    if (taken) return { email };
    const { token, expiresAt } = await this.deps.actionTokens.issue(
      'registration',
      { email, data: { username, email, password_hash: passwordHash } },
      this.deps.config.links.emailVerificationTtlSeconds,
    );
    this.send({
      event: 'email_verification.requested',
      to: recipientOf({ email, username }),
      url: linkUrl(`${this.deps.config.issuer}${SIGN_UP_VERIFY_PATH}`, token),
      token,
      expiresAt,
    });
    return { email };
  }

  /** The sign-up link opened: the account, created in the transaction that spends the link. */
  async completeSignUp(token: unknown): Promise<Completion> {
    return this.spendInto('registration', token, async (trx, link) => {
      const data = link.data ?? {};
      const username = text(data.username);
      const email = text(data.email) || link.email;
      const passwordHash = text(data.password_hash);
      if (!username || !email || !passwordHash) return null;
      return this.deps.accounts.createWithHashIn(trx, {
        username,
        passwordHash,
        email,
        emailVerified: true,
      });
    });
  }

  /**
   * Sends an invitation to `email` for an account with `roles` (each must exist). Refused while
   * REGISTRATION=off. `wait`: resolve once delivered (the CLI) instead of sending in the background.
   */
  async invite(
    input: { email: string; roles?: string[] },
    options: { wait?: boolean } = {},
  ): Promise<Invitation> {
    if (this.mode === 'off') throw conflict('invitations are off (REGISTRATION=off)');
    const email = input.email.trim();
    const problem = emailProblem(email);
    if (problem)
      throw badRequest('the request is invalid', {
        email: `${PROBLEM_TEXT[problem]}: not an e-mail address`,
      });
    const roles = [...new Set(input.roles ?? [])];
    if (roles.length) {
      const known = new Set(await this.deps.roles.exists(roles));
      const unknown = roles.filter((role) => !known.has(role));
      if (unknown.length)
        throw badRequest('the request is invalid', { roles: `unknown role: ${unknown.join(', ')}` });
    }
    const { token, expiresAt } = await this.deps.actionTokens.issue(
      'invitation',
      { email, data: { roles } },
      this.deps.config.links.invitationTtlSeconds,
    );
    const link: LinkMessage = {
      event: 'invitation.requested',
      to: recipientOf({ email }),
      url: linkUrl(`${this.deps.config.issuer}${INVITATION_PATH}`, token),
      token,
      expiresAt,
    };
    if (options.wait) await this.deps.delivery.sendLink(link);
    else this.send(link);
    return { email, roles, expiresAt };
  }

  /** A live invitation (to show its form), or null. Nothing is spent. */
  async findInvitation(token: unknown): Promise<Invitation | null> {
    const link = await this.deps.actionTokens.peek('invitation', token);
    if (!link?.email) return null;
    return { email: link.email, roles: rolesOf(link.data), expiresAt: link.expiresAt };
  }

  /**
   * The invitation form: the account (the invited address, verified; the invitation's roles) and
   * the link's spend in one transaction. Throws RegistrationInputError for bad fields and for a
   * taken username (the link stays usable).
   */
  async acceptInvitation(
    token: unknown,
    input: { username?: unknown; password?: unknown },
  ): Promise<Completion> {
    const username = text(input.username).trim();
    const password = text(input.password);
    const problems: Partial<Record<RegistrationField, FieldProblem>> = {};
    const u = usernameProblem(username);
    if (u) problems.username = u;
    const p = this.passwordProblem(password);
    if (p) problems.password = p;
    if (Object.keys(problems).length) throw new RegistrationInputError(problems);
    const passwordHash = await this.hash(password);
    const done = await this.spendInto('invitation', token, async (trx, link) => {
      if (!link.email) return null;
      return this.deps.accounts.createWithHashIn(trx, {
        username,
        passwordHash,
        email: link.email,
        emailVerified: true,
        roles: rolesOf(link.data),
      });
    });
    if (!done.ok && done.reason === 'username_taken') throw new RegistrationInputError({ username: 'taken' });
    return done;
  }

  /**
   * Spends the link and creates what it pays for in one transaction. Of two requests racing with
   * one link, the second waits on the first's spend and then finds it spent: one account.
   */
  private async spendInto(
    purpose: 'registration' | 'invitation',
    token: unknown,
    create: (
      trx: Knex.Transaction,
      link: NonNullable<Awaited<ReturnType<ActionTokenStore['consume']>>>,
    ) => Promise<string | null>,
  ): Promise<Completion> {
    let id: string | null;
    try {
      id = await this.deps.db.transaction(async (trx) => {
        const link = await this.deps.actionTokens.consume(purpose, token, trx);
        if (!link) return null;
        try {
          const created = await create(trx, link);
          // With the account, in its transaction: a taken username rolls both back.
          if (created)
            await recordAudit(trx, {
              type: 'user.registered',
              actor: { type: 'account', id: created },
              target: { type: 'account', id: created },
              data: { method: purpose === 'registration' ? 'sign_up' : 'invitation' },
            });
          return created;
        } catch (err) {
          if (isUniqueViolation(err)) throw new UsernameTaken();
          throw err;
        }
      });
    } catch (err) {
      if (err instanceof UsernameTaken) return { ok: false, reason: 'username_taken' };
      throw err;
    }
    if (!id) return { ok: false, reason: 'invalid_link' };
    const account = await this.deps.accounts.findById(id);
    if (!account) return { ok: false, reason: 'invalid_link' };
    this.deps.logger.info({ username: account.username, via: purpose }, 'account created by sign-up');
    return { ok: true, account };
  }

  private send(link: LinkMessage): void {
    void this.work.run(deliverLinkInBackground(this.deps.delivery, link, this.deps.logger));
  }

  /** Waits for the links being sent in the background (the node closes the delivery after). */
  settled(): Promise<void> {
    return this.work.settled();
  }
}

function rolesOf(data: Record<string, unknown> | null): string[] {
  const roles = data?.roles;
  return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
}
