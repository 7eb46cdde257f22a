/**
 * Single-use links: a password reset, an e-mail verification, a sign-up, an invitation. The token is
 * 256 random bits (base64url) handed out once, in the link; only its keyed hash is stored
 * (HMAC-SHA256 under SECRET_KEY, per purpose), so the table alone lets nobody spend one. A token is
 * spent by one conditional update (`used_at is null`, unexpired), so of two requests racing with it
 * exactly one wins, on any node; the spend can join the caller's transaction, so that what it pays
 * for (the new password, the new account) commits with it or not at all.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Database } from '../db/database';

export const ACTION_TOKENS_TABLE = 'action_tokens';

export type ActionPurpose = 'password_reset' | 'email_verification' | 'registration' | 'invitation';

export interface ActionToken {
  purpose: ActionPurpose;
  accountId: string | null;
  /** The address the link went to: a verification proves this one and no other. */
  email: string | null;
  data: Record<string, unknown> | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface IssuedActionToken {
  token: string;
  expiresAt: Date;
}

interface ActionTokenRow {
  token_hash: string;
  purpose: ActionPurpose;
  account_id: string | null;
  email: string | null;
  data: Record<string, unknown> | string | null;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}

/** Anything longer is no token this store issued (43 characters). */
const MAX_TOKEN_LENGTH = 128;

function toToken(row: ActionTokenRow): ActionToken {
  return {
    purpose: row.purpose,
    accountId: row.account_id,
    email: row.email,
    data: typeof row.data === 'string' ? (JSON.parse(row.data) as Record<string, unknown>) : row.data,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export class ActionTokenStore {
  constructor(
    private readonly db: Database,
    private readonly secretKey: string,
  ) {}

  /** The stored form of a token: keyed and bound to its purpose (a reset token verifies nothing). */
  private hash(purpose: ActionPurpose, token: string): string {
    return createHmac('sha256', this.secretKey).update(`gatehouse:action:${purpose}:${token}`).digest('hex');
  }

  async issue(
    purpose: ActionPurpose,
    what: { accountId?: string | null; email?: string | null; data?: Record<string, unknown> | null },
    ttlSeconds: number,
    trx: Database | Knex.Transaction = this.db,
  ): Promise<IssuedActionToken> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    await trx(ACTION_TOKENS_TABLE).insert({
      token_hash: this.hash(purpose, token),
      purpose,
      account_id: what.accountId ?? null,
      email: what.email ?? null,
      data: what.data ? JSON.stringify(what.data) : null,
      expires_at: expiresAt,
    });
    return { token, expiresAt };
  }

  /** The token's record while it is unspent and unexpired (to show the page that spends it), or null. */
  async peek(purpose: ActionPurpose, token: unknown): Promise<ActionToken | null> {
    if (!isTokenShaped(token)) return null;
    const row = await this.db<ActionTokenRow>(ACTION_TOKENS_TABLE)
      .where({ token_hash: this.hash(purpose, token), purpose })
      .whereNull('used_at')
      .andWhere('expires_at', '>', new Date())
      .first();
    return row ? toToken(row) : null;
  }

  /**
   * The token's record whatever its state (spent, expired, until the purge deletes it), with when it
   * was spent: a page telling "this link did its work already" from "this link is no good".
   */
  async find(
    purpose: ActionPurpose,
    token: unknown,
  ): Promise<(ActionToken & { usedAt: Date | null }) | null> {
    if (!isTokenShaped(token)) return null;
    const row = await this.db<ActionTokenRow>(ACTION_TOKENS_TABLE)
      .where({ token_hash: this.hash(purpose, token), purpose })
      .first();
    return row ? { ...toToken(row), usedAt: row.used_at } : null;
  }

  /**
   * Spends the token: one conditional update, so only one caller ever gets its record; null for an
   * unknown, spent or expired token. Pass the transaction of what the token pays for.
   */
  async consume(
    purpose: ActionPurpose,
    token: unknown,
    trx: Database | Knex.Transaction = this.db,
  ): Promise<ActionToken | null> {
    if (!isTokenShaped(token)) return null;
    const rows: ActionTokenRow[] = await trx(ACTION_TOKENS_TABLE)
      .where({ token_hash: this.hash(purpose, token), purpose })
      .whereNull('used_at')
      .andWhere('expires_at', '>', new Date())
      .update({ used_at: new Date() })
      .returning('*');
    return rows[0] ? toToken(rows[0]) : null;
  }

  /** Spends every unspent token of an account for a purpose (a reset done ends the other reset links). */
  async revokeFor(
    accountId: string,
    purpose: ActionPurpose,
    trx: Database | Knex.Transaction = this.db,
  ): Promise<number> {
    return trx(ACTION_TOKENS_TABLE)
      .where({ account_id: accountId, purpose })
      .whereNull('used_at')
      .update({ used_at: new Date() });
  }
}

function isTokenShaped(token: unknown): token is string {
  return typeof token === 'string' && token.length > 0 && token.length <= MAX_TOKEN_LENGTH;
}

/** The purge's deleter for this table: tokens expired (spent or not) a day ago, a batch at a time. */
export async function deleteExpiredActionTokenBatch(trx: Database, batchSize: number): Promise<number> {
  const before = new Date(Date.now() - 86_400_000);
  return trx(ACTION_TOKENS_TABLE)
    .whereIn(
      'token_hash',
      trx(ACTION_TOKENS_TABLE).select('token_hash').where('expires_at', '<', before).limit(batchSize),
    )
    .delete();
}
