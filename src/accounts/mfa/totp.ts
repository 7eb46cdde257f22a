/**
 * Authenticator apps: time-based one-time passwords (RFC 6238, SHA-1, 6 digits, 30 s steps, the
 * parameters every authenticator app reads from an otpauth URI) with otplib. The secret is sealed
 * under SECRET_KEY. A code is checked with a window of one step either way (RFC 6238 §5.2 allows for
 * clock drift and the time to type), and each accepted step is accepted once: the last accepted step
 * is stored by a compare-and-set, so a code seen over someone's shoulder, or sent twice in a race,
 * works once (§5.2: "the verifier MUST NOT accept the second attempt of the OTP").
 */
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import type { Database } from '../../db/database';
import type { SecretBox } from '../../security/secret-box';

/** RFC 6238 §5.2: a step of 30 s, and one step of tolerance either way. */
const PERIOD_SECONDS = 30;
const TOLERANCE_SECONDS = PERIOD_SECONDS;

export interface TotpEnrollment {
  /** Base32, for typing into an app. */
  secret: string;
  otpauthUri: string;
  /** The otpauth URI as an SVG QR code. */
  qrSvg: string;
}

export interface TotpFactor {
  status: 'pending' | 'active';
  createdAt: Date;
  activatedAt: Date | null;
}

interface TotpRow {
  account_id: string;
  secret_sealed: string;
  status: 'pending' | 'active';
  last_step: string | number | null;
  created_at: Date;
  activated_at: Date | null;
}

/** Six digits, spaces allowed between them (apps show `123 456`). */
export function normalizeTotpCode(input: string): string | null {
  const value = input.replace(/\s/g, '');
  return /^\d{6}$/.test(value) ? value : null;
}

export class TotpFactors {
  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
    /** The label apps show above the code: the issuer's host. */
    private readonly issuerLabel: string,
  ) {}

  async find(accountId: string): Promise<TotpFactor | null> {
    const row = await this.db<TotpRow>('mfa_totp').where('account_id', accountId).first();
    return row ? { status: row.status, createdAt: row.created_at, activatedAt: row.activated_at } : null;
  }

  /**
   * A new pending secret for the account, replacing a pending one (an enrollment started again).
   * Null when an active one exists: it must be removed (with a code) before another is enrolled.
   */
  async start(account: { id: string; username: string }): Promise<TotpEnrollment | null> {
    const secret = generateSecret();
    const sealed = this.box.seal(secret);
    const rows = await this.db.raw<{ rows: unknown[] }>(
      `insert into mfa_totp (account_id, secret_sealed, status, created_at)
       values (:id, :sealed, 'pending', now())
       on conflict (account_id) do update set secret_sealed = excluded.secret_sealed,
         created_at = excluded.created_at, last_step = null
       where mfa_totp.status = 'pending'
       returning account_id`,
      { id: account.id, sealed },
    );
    if (!rows.rows.length) return null;
    const otpauthUri = generateURI({ issuer: this.issuerLabel, label: account.username, secret });
    const qrSvg = await QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { secret, otpauthUri, qrSvg };
  }

  /**
   * Checks a code against the account's secret in the given status and, if it is right, takes its
   * time step (so it is not accepted again) and, for a pending secret, activates it: one conditional
   * update each. `trx` lets activation share a transaction with the recovery codes.
   */
  async check(
    accountId: string,
    input: string,
    status: 'pending' | 'active',
    trx: Database = this.db,
  ): Promise<boolean> {
    const code = normalizeTotpCode(input);
    if (!code) return false;
    const row = await trx<TotpRow>('mfa_totp').where({ account_id: accountId, status }).first();
    if (!row) return false;
    const lastStep = row.last_step === null ? undefined : Number(row.last_step);
    const epoch = Math.floor(Date.now() / 1000);
    // Every step of the window taken already (a later step accepted on a node whose clock runs
    // ahead): nothing to accept, and otplib throws for an afterTimeStep past its window.
    if (lastStep !== undefined && lastStep >= Math.floor((epoch + TOLERANCE_SECONDS) / PERIOD_SECONDS))
      return false;
    const result = await verify({
      secret: this.box.open(row.secret_sealed),
      token: code,
      epoch,
      epochTolerance: TOLERANCE_SECONDS,
      ...(lastStep !== undefined && { afterTimeStep: lastStep }),
    });
    // A TOTP result carries its time step (an HOTP one would not).
    if (!result.valid || !('timeStep' in result)) return false;
    const taken = await trx('mfa_totp')
      .where({ account_id: accountId, status })
      .andWhere((q) => q.whereNull('last_step').orWhere('last_step', '<', result.timeStep))
      .update({
        last_step: result.timeStep,
        ...(status === 'pending' && { status: 'active', activated_at: new Date() }),
      });
    return taken > 0;
  }

  async remove(accountId: string, trx: Database = this.db): Promise<boolean> {
    return (await trx('mfa_totp').where('account_id', accountId).delete()) > 0;
  }
}
