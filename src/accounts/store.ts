/**
 * The account store: accounts, their roles, and password verification with throttling.
 * The provider's findAccount, the grants, the login page, the API and the CLI all go through here.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { recordAudit } from '../audit/record';
import type { Database } from '../db/database';
import { isStorableText } from '../db/text';
import {
  parsePgArray,
  profileRow,
  toAccount,
  type Account,
  type AccountRow,
  type AuthResult,
  type NewAccount,
  type ProfileInput,
} from './account-row';
import { PasswordHasher } from './password';
import { DEFAULT_PASSWORD_POLICY, checkPasswordRules, type PasswordPolicy } from './password-rules';
import { recordSignedIn, recordSignInFailed, type SignInAttempt, type SignInFailure } from './sign-in-audit';
import { LoginThrottle, type LockoutPolicy, type Reservation } from './throttle';
import { usernameKey } from './username';

export type { Account, Address, AuthResult, NewAccount, ProfileInput } from './account-row';

/**
 * Ends every session, grant and token of an account, inside the transaction that changed it. Passed
 * in by the composition root: the provider's storage is not this module's to know.
 */
export type RevokeAccountState = (trx: Database, accountId: string) => Promise<number>;

/** The same, sparing one session (by uid) and one grant with its tokens: the password's changer's. */
export type RevokeAccountStateExcept = (
  trx: Database,
  accountId: string,
  keep: { sessionUid?: string; grantId?: string },
) => Promise<number>;

export type PasswordChange =
  { ok: true } | { ok: false; reason: 'wrong_password' | 'locked'; lockedUntil?: Date };

export class AccountStore {
  readonly passwords: PasswordHasher;
  readonly throttle: LoginThrottle;

  /** The password rules (password-rules.ts): checked here, so on every path that sets a password. */
  readonly passwordPolicy: PasswordPolicy;

  private readonly revokeState: RevokeAccountState;

  private readonly revokeStateExcept: RevokeAccountStateExcept;

  constructor(
    private readonly db: Database,
    options: {
      bcryptCost: number;
      lockout: LockoutPolicy;
      revokeState?: RevokeAccountState;
      revokeStateExcept?: RevokeAccountStateExcept;
      passwordPolicy?: PasswordPolicy;
    },
  ) {
    this.passwords = new PasswordHasher(options.bcryptCost);
    this.passwordPolicy = options.passwordPolicy ?? DEFAULT_PASSWORD_POLICY;
    this.throttle = new LoginThrottle(db, options.lockout);
    this.revokeState = options.revokeState ?? (async () => 0);
    this.revokeStateExcept = options.revokeStateExcept ?? (async () => 0);
  }

  // Roles come back in the same query, aggregated, so a look-up is one round trip.
  private selectAccounts() {
    return this.db('accounts as a').select<(AccountRow & { roles: string[] | string })[]>(
      this.db.raw(ACCOUNT_COLUMNS),
    );
  }

  /** An account from a row of ACCOUNT_COLUMNS (here, or joined by another statement), or null. */
  static fromRow(row: (AccountRow & { roles: string[] | string }) | undefined): Account | null {
    if (!row) return null;
    const roles = Array.isArray(row.roles) ? row.roles : parsePgArray(row.roles);
    return toAccount(row, roles);
  }

  async findById(id: string): Promise<Account | null> {
    if (!isUuid(id)) return null;
    return AccountStore.fromRow(await this.selectAccounts().where('a.id', id).first());
  }

  async findByUsername(username: string): Promise<Account | null> {
    const key = usernameKey(username);
    if (!key) return null;
    return AccountStore.fromRow(await this.selectAccounts().whereRaw('lower(a.username) = ?', [key]).first());
  }

  /**
   * Verifies a username and password. The attempt is counted before the password is checked (see
   * LoginThrottle), so a locked name, or one whose attempts a burst has taken, never reaches bcrypt; an
   * unknown user, or an account without a password, costs one bcrypt compare like a known one, and
   * every failure lasts as long (PasswordHasher's floor); a success takes the count back, and is
   * recorded (recordSignIn: last_login_at, and an imported hash replaced by Gatehouse's).
   *
   * Every refusal is recorded in the audit trail (user.sign_in_failed, with the name presented and
   * the reason, never the password), in the transaction that counts it; the success is the caller's
   * to record (recordSignedIn) once the sign-in is complete: a second factor may still be due.
   */
  async authenticate(
    username: string,
    password: string,
    attempt: SignInAttempt = { method: 'password' },
  ): Promise<AuthResult> {
    const key = usernameKey(username);
    const failed = { ...attempt, username };
    // No account has such a name: the answer of an unknown one, with only its audit row written.
    if (!key) {
      await recordSignInFailed(this.db, 'invalid_credentials', failed);
      return { ok: false, reason: 'invalid_credentials' };
    }
    const reservation = await this.throttle.reserve(key);
    if (!reservation.ok) {
      await recordSignInFailed(this.db, 'locked', failed);
      return { ok: false, reason: 'locked', lockedUntil: reservation.lockedUntil };
    }

    // The whole account (with its roles) in the one look-up: no second query by id on success.
    const row = await this.selectAccounts().whereRaw('lower(a.username) = ?', [key]).first();
    const checked = await this.settleAttempt(key, reservation, password, row?.password_hash, failed);
    if (!checked.ok)
      return checked.lockedUntil
        ? { ok: false, reason: 'locked', lockedUntil: checked.lockedUntil }
        : { ok: false, reason: 'invalid_credentials' };
    if (row!.disabled) {
      await recordSignInFailed(this.db, 'disabled', { ...failed, accountId: row!.id });
      return { ok: false, reason: 'disabled' };
    }
    await this.recordSignIn(row!.id, row!.password_hash!, password);
    return { ok: true, account: AccountStore.fromRow(row)! };
  }

  /**
   * After a successful password sign-in: last_login_at, and a hash not in Gatehouse's format (one
   * imported from Django) replaced by Gatehouse's bcrypt of the same password, only while it is still
   * the hash just verified (compare-and-set): of two sign-ins racing, one replaces it and both succeed;
   * a password set meanwhile (a reset) is kept. Returns whether this call replaced the hash.
   */
  async recordSignIn(id: string, verifiedHash: string, password: string): Promise<boolean> {
    const now = new Date();
    if (this.passwords.needsRehash(verifiedHash)) {
      const rehashed = await this.passwords.hash(password);
      const updated = await this.db('accounts')
        .where({ id, password_hash: verifiedHash })
        .update({ password_hash: rehashed, last_login_at: now });
      if (updated) return true;
    }
    await this.db('accounts').where('id', id).update({ last_login_at: now });
    return false;
  }

  /**
   * A complete sign-in (every factor shown: the login page, the grants, a passkey): last_login_at
   * and its audit event (user.signed_in, the account as actor) in one transaction.
   */
  async recordSignedIn(id: string, attempt: SignInAttempt & { amr?: readonly string[] }): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('accounts').where('id', id).update({ last_login_at: new Date() });
      await recordSignedIn(trx, id, attempt);
    });
  }

  /** A refusal decided outside this store (the one-time-code grant): its audit event, with the name. */
  async recordSignInFailure(
    reason: SignInFailure,
    attempt: SignInAttempt & { username?: string; accountId?: string },
  ): Promise<void> {
    await recordSignInFailed(this.db, reason, attempt);
  }

  /**
   * The check of a password for an attempt the throttle counted already (`reserve`): a wrong one
   * (or none to compare with) stays counted and may lock the name; a right one takes the count back,
   * unless the name was locked meanwhile. Shared by the sign-in and the password change; a sign-in
   * (`failed`) records its refusal in the transaction that counts it.
   */
  private async settleAttempt(
    key: string,
    reservation: Extract<Reservation, { ok: true }>,
    password: string,
    hash: string | null | undefined,
    failed?: SignInAttempt & { username: string },
  ): Promise<{ ok: true } | { ok: false; lockedUntil?: Date }> {
    // No password holds U+0000 (PasswordHasher refuses it), and bcrypt would stop reading at it.
    const ok = isStorableText(password) && (await this.passwords.verify(password, hash));
    if (!ok || hash == null) {
      const locked = await this.db.transaction(async (trx) => {
        const until = await this.throttle.fail(key, reservation, new Date(), trx);
        // Wrong password and unknown name alike: the trail does not tell which names have accounts.
        if (failed) await recordSignInFailed(trx, 'invalid_credentials', failed);
        return until;
      });
      return locked ? { ok: false, lockedUntil: locked } : { ok: false };
    }
    const released = await this.throttle.succeed(key);
    if (released.ok) return { ok: true };
    // The right password, for a name locked meanwhile by other attempts.
    if (failed) await recordSignInFailed(this.db, 'locked', failed);
    return { ok: false, lockedUntil: released.lockedUntil };
  }

  /** The accounts row of a new account; its roles are the caller's to add, in the same transaction. */
  private static async insertRow(
    trx: Knex.Transaction,
    id: string,
    passwordHash: string,
    input: Omit<NewAccount, 'password' | 'id' | 'roles'>,
  ): Promise<void> {
    await trx('accounts').insert({
      id,
      username: input.username,
      password_hash: passwordHash,
      disabled: input.disabled ?? false,
      ...profileRow(input),
    });
  }

  /** Checks the rules (PasswordRuleError) and hashes: what every new password goes through. */
  async hashNewPassword(password: string): Promise<string> {
    checkPasswordRules(this.passwordPolicy, password);
    return this.passwords.hash(password);
  }

  async create(input: NewAccount): Promise<Account> {
    const id = input.id ?? randomUUID();
    const passwordHash = await this.hashNewPassword(input.password);
    await this.db.transaction(async (trx) => {
      await AccountStore.insertRow(trx, id, passwordHash, input);
      if (input.roles?.length) {
        await trx('roles')
          .insert(input.roles.map((name) => ({ name })))
          .onConflict('name')
          .ignore();
        await trx('account_roles').insert(input.roles.map((role_name) => ({ account_id: id, role_name })));
      }
      await recordAudit(trx, {
        type: 'user.created',
        target: { type: 'account', id },
        data: { username: input.username, roles: input.roles ?? [] },
      });
    });
    return (await this.findById(id))!;
  }

  /**
   * A new account whose password was hashed earlier (hashNewPassword: the rules were checked then),
   * inside the caller's transaction: a sign-up or invitation link's account commits with the link's
   * spend. Roles that no longer exist are left out. A taken username fails on the unique index
   * (23505), which the caller turns into its answer. Returns the new id.
   */
  async createWithHashIn(
    trx: Knex.Transaction,
    input: Omit<NewAccount, 'password' | 'id'> & { passwordHash: string },
  ): Promise<string> {
    const id = randomUUID();
    await AccountStore.insertRow(trx, id, input.passwordHash, input);
    const roles: string[] = input.roles?.length
      ? await trx('roles')
          .whereIn('name', [...new Set(input.roles)])
          .pluck('name')
      : [];
    if (roles.length)
      await trx('account_roles').insert(roles.map((role_name) => ({ account_id: id, role_name })));
    return id;
  }

  async updateProfile(id: string, input: ProfileInput): Promise<Account | null> {
    const row = profileRow(input);
    const updated = await this.db.transaction(async (trx) => {
      const before: Record<string, unknown> | undefined = await trx('accounts').where('id', id).first();
      if (!before) return false;
      await trx('accounts')
        .where('id', id)
        .update({ ...row, updated_at: new Date() });
      // The names of the fields whose value changed (user.updated), never the values.
      const fields = Object.keys(row).filter(
        (column) => !sameValue(before[column], row[column as keyof typeof row]),
      );
      if (fields.length)
        await recordAudit(trx, { type: 'user.updated', target: { type: 'account', id }, data: { fields } });
      return true;
    });
    return updated ? this.findById(id) : null;
  }

  /**
   * A new password (set by an administrator, or a reset) ends everything signed in with the old one:
   * sessions, grants, refresh and access tokens go in the same transaction.
   */
  async setPassword(id: string, password: string): Promise<boolean> {
    const passwordHash = await this.hashNewPassword(password);
    return this.db.transaction(async (trx) => {
      const updated = await trx('accounts')
        .where('id', id)
        .update({ password_hash: passwordHash, updated_at: new Date() });
      if (updated) {
        await this.revokeState(trx, id);
        await recordAudit(trx, {
          type: 'user.password_reset',
          target: { type: 'account', id },
          data: { method: 'admin' },
        });
      }
      return updated > 0;
    });
  }

  /** Disabling an account also ends its sessions and tokens, in the same transaction. */
  async setDisabled(id: string, disabled: boolean): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const rows: Pick<AccountRow, 'disabled'>[] = await trx('accounts')
        .where('id', id)
        .select('disabled')
        .forUpdate();
      const was = rows[0];
      if (!was) return false;
      await trx('accounts').where('id', id).update({ disabled, updated_at: new Date() });
      if (disabled) await this.revokeState(trx, id);
      // An account already in that state changed nothing: no event.
      if (was.disabled !== disabled)
        await recordAudit(trx, {
          type: disabled ? 'user.disabled' : 'user.enabled',
          target: { type: 'account', id },
        });
      return true;
    });
  }

  /** Replaces the account's roles; every role must exist. Returns false for an unknown account. */
  async setRoles(id: string, roles: string[]): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const found = await trx('accounts').where('id', id).first('id');
      if (!found) return false;
      const before: string[] = await trx('account_roles').where('account_id', id).pluck('role_name');
      await trx('account_roles').where('account_id', id).delete();
      if (roles.length)
        await trx('account_roles').insert(roles.map((role_name) => ({ account_id: id, role_name })));
      await trx('accounts').where('id', id).update({ updated_at: new Date() });
      const added = [...new Set(roles)].filter((role) => !before.includes(role)).sort();
      const removed = before.filter((role) => !roles.includes(role)).sort();
      if (added.length || removed.length)
        await recordAudit(trx, {
          type: 'user.roles_changed',
          target: { type: 'account', id },
          data: { added, removed },
        });
      return true;
    });
  }

  async delete(id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return this.db.transaction(async (trx) => {
      const rows: Pick<AccountRow, 'username'>[] = await trx('accounts')
        .where('id', id)
        .delete()
        .returning('username');
      const deleted = rows[0];
      if (deleted) {
        await this.revokeState(trx, id);
        await recordAudit(trx, {
          type: 'user.deleted',
          target: { type: 'account', id },
          data: { username: deleted.username },
        });
      }
      return Boolean(deleted);
    });
  }

  /**
   * The accounts of an address (a reset by `{ "email" }`), compared as lower(email), the index
   * accounts_email_lower; an address may belong to several accounts, at most `limit` are returned.
   */
  async findByEmail(email: string, limit: number): Promise<Account[]> {
    const address = email.trim().toLowerCase();
    if (!address || address.length > 254 || !isStorableText(address)) return [];
    const rows = await this.selectAccounts()
      .whereRaw('lower(a.email) = ?', [address])
      .orderBy('a.created_at')
      .limit(limit);
    return rows.map((row) => AccountStore.fromRow(row)!);
  }

  /**
   * A password reset's write, inside the caller's transaction (the one that spends the reset link):
   * the new hash (hashNewPassword, outside the transaction), every session, grant and token of the
   * account revoked, and its sign-in lockout lifted. A disabled or deleted account changes nothing.
   */
  async resetPasswordIn(trx: Knex.Transaction, id: string, passwordHash: string): Promise<boolean> {
    const rows: Pick<AccountRow, 'username'>[] = await trx('accounts')
      .where({ id, disabled: false })
      .update({ password_hash: passwordHash, updated_at: new Date() })
      .returning('username');
    const row = rows[0];
    if (!row) return false;
    await this.revokeState(trx, id);
    await this.throttle.reset(row.username, trx);
    await recordAudit(trx, {
      type: 'user.password_reset',
      // Whoever holds the link acts as the account.
      actor: { type: 'account', id },
      target: { type: 'account', id },
      data: { method: 'link' },
    });
    return true;
  }

  /**
   * Marks the address verified, inside the transaction that spends the verification link, only while
   * it is still the account's address (compared as lower(email)): a link proves the address it went to.
   */
  async markEmailVerifiedIn(trx: Knex.Transaction, id: string, email: string): Promise<boolean> {
    const updated = await trx('accounts')
      .where('id', id)
      .whereRaw('lower(email) = lower(?)', [email])
      .update({ email_verified: true, updated_at: new Date() });
    return updated > 0;
  }

  /** Accounts ordered by username, `limit` at a time after the username `after` (keyset pagination). */
  async list(options: { prefix?: string; limit?: number; after?: string } = {}): Promise<Account[]> {
    const query = this.selectAccounts()
      .orderByRaw('lower(a.username)')
      .limit(options.limit ?? 50);
    if (options.prefix)
      query.whereRaw('lower(a.username) like ?', [`${escapeLike(options.prefix.toLowerCase())}%`]);
    if (options.after) query.whereRaw('lower(a.username) > ?', [options.after.toLowerCase()]);
    const rows = await query;
    return rows.map((row) => AccountStore.fromRow(row)!);
  }

  async count(): Promise<number> {
    const row = await this.db('accounts').count<{ count: string | number }[]>({ count: '*' }).first();
    return Number(row?.count ?? 0);
  }

  /**
   * The account's own password change (the account API and page). The rules first (PasswordRuleError);
   * then the current password, counted by the sign-in throttle exactly as a login is (authenticate):
   * a stolen token alone cannot guess its way to the password. Then one transaction: the new hash,
   * set only over the hash just verified (compare-and-set: of two changes racing with the same
   * current password one wins, the other finds it no longer current), and every session, grant and
   * token of the account revoked but the caller's own session and grant (`keep`).
   */
  async changePassword(
    accountId: string,
    currentPassword: string,
    newPassword: string,
    keep: { sessionUid?: string; grantId?: string },
  ): Promise<PasswordChange> {
    checkPasswordRules(this.passwordPolicy, newPassword);
    const row: Pick<AccountRow, 'username' | 'password_hash'> | undefined = isUuid(accountId)
      ? await this.db('accounts')
          .select('username', 'password_hash')
          .where({ id: accountId, disabled: false })
          .first()
      : undefined;
    if (!row) return { ok: false, reason: 'wrong_password' };
    const key = usernameKey(row.username)!;
    const reservation = await this.throttle.reserve(key);
    if (!reservation.ok) return { ok: false, reason: 'locked', lockedUntil: reservation.lockedUntil };
    const checked = await this.settleAttempt(key, reservation, currentPassword, row.password_hash);
    if (!checked.ok)
      return checked.lockedUntil
        ? { ok: false, reason: 'locked', lockedUntil: checked.lockedUntil }
        : { ok: false, reason: 'wrong_password' };
    const passwordHash = await this.hashNewPassword(newPassword);
    return this.db.transaction(async (trx) => {
      const updated = await trx('accounts')
        .where({ id: accountId, password_hash: row.password_hash })
        .update({ password_hash: passwordHash, updated_at: new Date() });
      if (!updated) return { ok: false, reason: 'wrong_password' } as const;
      await this.revokeStateExcept(trx, accountId, keep);
      await recordAudit(trx, {
        type: 'user.password_changed',
        actor: { type: 'account', id: accountId },
        target: { type: 'account', id: accountId },
      });
      return { ok: true } as const;
    });
  }
}

/**
 * The columns an account is read with, the `accounts` table aliased `a`: the row and its roles in
 * one statement (AccountStore.fromRow maps them). A statement that joins an account (the bearer
 * check's token look-up, oidc/adapter.ts) selects the same.
 */
export const ACCOUNT_COLUMNS = `a.*, coalesce((select array_agg(ar.role_name order by ar.role_name)
  from account_roles ar where ar.account_id = a.id), '{}') as roles`;

/** An account id (case-insensitive), for isUuid and for SQL that checks a text column (`~*`). */
export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const UUID = new RegExp(UUID_PATTERN, 'i');

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Whether a profile column's stored value equals the one written (jsonb address as JSON text). */
function sameValue(stored: unknown, written: unknown): boolean {
  const normal = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value ?? null));
  return normal(stored) === normal(written);
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
