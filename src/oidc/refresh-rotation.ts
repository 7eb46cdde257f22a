/**
 * Refresh token rotation as one atomic step, with an optional grace window for retries.
 *
 * The library's refresh_token grant consumes the presented token, then saves its successor and a new
 * access token in separate statements (lib/actions/grants/refresh_token.js). Alone, that loses the
 * chain when anything fails between the two (a database error, a crash, a response lost after the
 * commit): the client keeps only the old token, and its retry is taken for reuse and revokes the
 * grant (RFC 9700 §4.14.2). Here the grant runs with its writes held back (the adapter asks
 * `currentRotation()`), then one transaction consumes the old token with a compare-and-set and
 * writes the new tokens: all or nothing, and exactly one of several parallel requests wins.
 *
 * With REFRESH_TOKEN_REUSE_GRACE > 0 the winner also stores its answer (sealed) on the old token's
 * row, and a retry of the just-rotated token within the window, on any node, gets that same answer
 * instead of a revocation, as long as the successor is still unused. Outside the window, or once the
 * successor was used, reuse revokes the whole grant as before.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { errors, type KoaContextWithOIDC, type Provider } from 'oidc-provider';
import type { AdapterPayload } from 'oidc-provider';
import { recordAudit } from '../audit/record';
import type { Database } from '../db/database';
import { wrapGrantHandler, type GrantHandler } from './internals';
import { commitRotation, findRotatedRefreshToken, isUnusedRefreshToken, type PayloadWrite } from './payloads';
import { SecretBox } from '../security/secret-box';
import { protocolErrors } from './unavailable';

export interface RotationOptions {
  db: Database;
  /** REFRESH_TOKEN_REUSE_GRACE: seconds during which a retry gets the same successor (0: never). */
  graceSeconds: number;
  /** Seals the stored answer, which holds live tokens. */
  secretKey: string;
}

interface TokenBody {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  [field: string]: unknown;
}

interface StoredAnswer {
  body: TokenBody;
  /** When the answer was issued (ms), to count its expires_in down on a replay. */
  at: number;
}

/** Thrown out of the adapter's find to end the grant early with the answer of the first rotation. */
class SuccessorReplay extends Error {
  constructor(readonly body: TokenBody) {
    super('refresh token rotated within the grace window');
  }
}

/** One refresh_token grant request: what it consumed and wrote, held back until its commit. */
export class RotationRequest {
  consumed: string | null = null;
  readonly writes: PayloadWrite[] = [];
  /** The consumed refresh token presented again (no replay): the library revokes its grant. */
  reused: AdapterPayload | null = null;

  constructor(
    private readonly rotation: RefreshRotation,
    private readonly ctx: KoaContextWithOIDC,
  ) {}

  /** From the consumption of the presented token on, every write waits for the commit. */
  get deferring(): boolean {
    return this.consumed !== null;
  }

  deferConsume(id: string): void {
    this.consumed = id;
  }

  deferWrite(write: PayloadWrite): void {
    this.writes.push(write);
  }

  /** The adapter found the presented token consumed: a retry within the window gets the answer. */
  async onConsumedFind(id: string, payload: AdapterPayload): Promise<void> {
    const body = await this.rotation.replayable(this.ctx, id);
    if (body) throw new SuccessorReplay(body);
    this.reused = payload;
  }
}

const requests = new AsyncLocalStorage<RotationRequest>();

/** The detail of the library's answer to a reused refresh token, once it revoked the grant. */
const REUSE_DETAIL = 'refresh token already used';

/** The refresh_token grant request this code runs in, if any (the adapter defers its writes then). */
export function currentRotation(): RotationRequest | undefined {
  return requests.getStore();
}

export class RefreshRotation {
  private readonly box: SecretBox | null;

  constructor(private readonly options: RotationOptions) {
    this.box = options.graceSeconds > 0 ? new SecretBox(options.secretKey) : null;
  }

  wrap(original: GrantHandler): GrantHandler {
    return async (ctx) => {
      const request = new RotationRequest(this, ctx);
      try {
        await requests.run(request, () => original(ctx));
      } catch (err) {
        if (err instanceof SuccessorReplay) {
          ctx.body = err.body;
          return;
        }
        // The library's answer to reuse, once it revoked the grant (lib/actions/grants/refresh_token.js).
        if (request.reused && err instanceof errors.InvalidGrant && err.error_detail === REUSE_DETAIL)
          await this.recordReuse(request.reused);
        throw err;
      }
      // An outage at the commit is the provider's 503 temporarily_unavailable, like the adapter's.
      if (request.consumed !== null) await protocolErrors(this.commit(ctx, request.consumed, request.writes));
    };
  }

  /**
   * token.reuse_detected (RFC 9700 §4.14.2), after the library revoked the grant: its revocation is
   * the library's own statements, so the event follows them rather than sharing their transaction.
   */
  private async recordReuse(token: AdapterPayload): Promise<void> {
    const accountId = typeof token.accountId === 'string' ? token.accountId : null;
    await this.options.db.transaction((trx) =>
      recordAudit(trx, {
        type: 'token.reuse_detected',
        target: { type: 'account', id: accountId },
        data: {
          client_id: token.clientId ?? null,
          grant_id: token.grantId ?? null,
          grant_revoked: true,
        },
      }),
    );
  }

  /** Consumes the old token and writes its successors in one transaction; the loser of a race learns it. */
  private async commit(ctx: KoaContextWithOIDC, consumed: string, writes: PayloadWrite[]): Promise<void> {
    const answer = this.box
      ? this.box.seal(JSON.stringify({ body: ctx.body as TokenBody, at: Date.now() } satisfies StoredAnswer))
      : null;
    // Compare-and-set: of parallel requests for one token, one wins; the others learn it here.
    if (await commitRotation(this.options.db, consumed, answer, writes)) return;
    const body = await this.replayable(ctx, consumed);
    if (body) {
      ctx.body = body;
      return;
    }
    // Lost a race with a parallel rotation that did commit: this request issued nothing, and the
    // grant (the winner's tokens) stays.
    throw new errors.InvalidGrant('refresh token already used');
  }

  /**
   * The answer the first rotation of `id` gave, when this request may have it again: within the
   * window, from the same client, for a bearer token (a sender-constrained one would need its proof
   * checked again), and while the successor refresh token is still unused.
   */
  async replayable(ctx: KoaContextWithOIDC, id: string): Promise<TokenBody | undefined> {
    if (!this.box) return undefined;
    const row = await findRotatedRefreshToken(this.options.db, id);
    if (!row?.consumed_at || !row.successor) return undefined;
    if (Date.now() - row.consumed_at.getTime() > this.options.graceSeconds * 1000) return undefined;
    if (row.payload.clientId !== ctx.oidc.client?.clientId) return undefined;
    if (row.payload.jkt || row.payload['x5t#S256']) return undefined;
    const { body, at } = JSON.parse(this.box.open(row.successor)) as StoredAnswer;
    if (!body.refresh_token || !(await isUnusedRefreshToken(this.options.db, body.refresh_token)))
      return undefined;
    const elapsed = Math.floor((Date.now() - at) / 1000);
    return typeof body.expires_in === 'number'
      ? { ...body, expires_in: Math.max(1, body.expires_in - elapsed) }
      : body;
  }
}

/** Makes the provider's refresh_token grant rotate atomically (see above). */
export function rotateRefreshTokensAtomically(provider: Provider, options: RotationOptions): void {
  const rotation = new RefreshRotation(options);
  wrapGrantHandler(provider, 'refresh_token', (original) => rotation.wrap(original));
}
