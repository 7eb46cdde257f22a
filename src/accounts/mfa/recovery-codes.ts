/**
 * Recovery codes: ten single-use codes handed out once, when a second factor becomes active (or on
 * request), for the day the authenticator is lost. Only keyed hashes are stored (HMAC-SHA256 under a
 * key derived from SECRET_KEY, bound to the account), so a copy of the table reveals no code; a code
 * is spent by one conditional update, so two requests racing with one code cannot both succeed.
 */
import { createHmac, hkdfSync, randomInt } from 'node:crypto';
import type { Database } from '../../db/database';

export const RECOVERY_CODE_COUNT = 10;

/** Crockford-style alphabet without 0/1/i/l/o/u: nothing a person misreads. 10 characters: 48 bits. */
const ALPHABET = 'abcdefghjkmnpqrstvwxyz23456789';
const GROUP = 5;

/** `xxxxx-xxxxx`, drawn from the operating system's CSPRNG. */
export function generateRecoveryCode(): string {
  let code = '';
  for (let i = 0; i < GROUP * 2; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return `${code.slice(0, GROUP)}-${code.slice(GROUP)}`;
}

/** The canonical form of what a person typed: lower case, without spaces or dashes; null if no code. */
export function normalizeRecoveryCode(input: string): string | null {
  const value = input.toLowerCase().replace(/[\s-]/g, '');
  return value.length === GROUP * 2 && [...value].every((c) => ALPHABET.includes(c)) ? value : null;
}

export class RecoveryCodes {
  private readonly key: Buffer;

  constructor(
    private readonly db: Database,
    secretKey: string,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', secretKey, 'gatehouse', 'gatehouse:recovery-codes:v1', 32));
  }

  private hash(accountId: string, normalized: string): string {
    return createHmac('sha256', this.key).update(`${accountId}:${normalized}`).digest('hex');
  }

  /**
   * Locks the account's row for the rest of `trx`: every change to an account's set of codes
   * (replacing it, dropping it with the last factor) takes this lock first, so that two replacements
   * racing cannot both delete the old set and then both insert a new one (twenty codes, two sets
   * shown), and a replacement cannot outlive the removal of the last factor.
   */
  async lock(accountId: string, trx: Database): Promise<void> {
    await trx('accounts').where('id', accountId).forUpdate().first('id');
  }

  /** Replaces the account's codes with ten new ones, inside `trx` when given; returns them (shown once). */
  async replace(accountId: string, trx?: Database): Promise<string[]> {
    if (!trx) return this.db.transaction((own) => this.replace(accountId, own));
    await this.lock(accountId, trx);
    const codes = new Set<string>();
    while (codes.size < RECOVERY_CODE_COUNT) codes.add(generateRecoveryCode());
    await trx('mfa_recovery_codes').where('account_id', accountId).delete();
    await trx('mfa_recovery_codes').insert(
      [...codes].map((code) => ({
        account_id: accountId,
        code_hash: this.hash(accountId, normalizeRecoveryCode(code)!),
      })),
    );
    return [...codes];
  }

  /** Spends one code; true when it was the account's and unused. */
  async use(accountId: string, input: string): Promise<boolean> {
    const normalized = normalizeRecoveryCode(input);
    if (!normalized) return false;
    const spent = await this.db('mfa_recovery_codes')
      .where({ account_id: accountId, code_hash: this.hash(accountId, normalized) })
      .whereNull('used_at')
      .update({ used_at: new Date() });
    return spent > 0;
  }

  /** How many unused codes the account has. */
  async remaining(accountId: string): Promise<number> {
    const row = await this.db('mfa_recovery_codes')
      .where('account_id', accountId)
      .whereNull('used_at')
      .count<{ count: string | number }[]>({ count: '*' })
      .first();
    return Number(row?.count ?? 0);
  }

  /** Returns how many codes went. */
  async removeAll(accountId: string, trx: Database = this.db): Promise<number> {
    return trx('mfa_recovery_codes').where('account_id', accountId).delete();
  }
}
