/**
 * The device authorization grant (RFC 8628): the endpoint, the code lifetimes; the pages come from interactions/device.
 *
 * The device authorization endpoint (§3.1) is the library's `/device/auth`, the verification URI
 * (§3.3) its `/device`; the grant (§3.4) is open to clients registered for DEVICE_CODE_GRANT, which the
 * library checks itself (unauthorized_client otherwise). User codes keep the library's defaults:
 * eight characters of the 20 consonants BCDFGHJKLMNPQRSTVWXZ as `XXXX-XXXX`, about 34.5 bits (§6.1:
 * no vowels, so no words; case and punctuation are ignored on entry). §5.1 asks that guesses be
 * limited: RATE_LIMIT_DEVICE_CODE per source address, counted by the interactions' device router in
 * front of the provider (interactions/device/limit.ts), where the 429 page lives.
 *
 * Two answers of §3.5 the library leaves to its host (it defines SlowDown but never throws it, and
 * an expired code is a row the adapter no longer returns, so the library would say invalid_grant):
 * - slow_down: a poll of a pending code within POLL_WINDOW_SECONDS of the previous poll of the same
 *   code, counted in the shared rate_limits table so every node sees the same polls;
 * - expired_token: a poll with a code whose row is still there but past its expiry (until the purge
 *   deletes it; after that, invalid_grant as for any unknown code).
 */
import { createHash } from 'node:crypto';
import type { Context, Next } from 'koa';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Database } from '../../db/database';
import { RATE_LIMITS_TABLE, knexStoreClient } from '../../security/rate-limits';
import { sourceOf } from '../../security/source';
import { DEVICE_CODE_GRANT } from '../grants/names';
import { wrapGrantHandler, type GrantHandler } from '../internals';
import { PAYLOADS_TABLE } from '../payloads';
import { protocolErrors } from '../unavailable';
import type { Feature } from './feature';

/** RFC 8628 §6.1: a short code from an alphabet without vowels, typed on a second device. */
export const USER_CODE_CHARSET: 'base-20' | 'digits' = 'base-20';
export const USER_CODE_MASK = '****-****';

/**
 * §3.2 interval: the library sends none, so clients poll every 5 seconds (the RFC's default). A poll
 * closer than 4 seconds to the one before is too soon: a second for network and clock jitter.
 */
export const POLL_WINDOW_SECONDS = 4;

/** A device code as a short key: its SHA-256, so no key carries the code itself. */
function pollKey(deviceCode: string): string {
  return createHash('sha256').update(deviceCode, 'utf8').digest('hex');
}

/** Text PostgreSQL can compare (no U+0000) and of a device code's size. */
function plausibleCode(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 512 && !value.includes('\0');
}

async function isExpiredDeviceCode(db: Database, deviceCode: string): Promise<boolean> {
  const row = (await db(PAYLOADS_TABLE)
    .where({ model: 'DeviceCode', id: deviceCode })
    .first('expires_at')) as { expires_at: Date | string | null } | undefined;
  return Boolean(row?.expires_at && new Date(row.expires_at).getTime() <= Date.now());
}

function errorCode(err: unknown): unknown {
  return (err as { error?: unknown } | null)?.error;
}

/** The library's device_code grant with §3.5's slow_down and expired_token. */
function withPollingAnswers(db: Database, original: GrantHandler): GrantHandler {
  const polls = new RateLimiterPostgres({
    storeClient: knexStoreClient(db),
    storeType: 'client',
    tableName: RATE_LIMITS_TABLE,
    tableCreated: true,
    clearExpiredByTimeout: false,
    keyPrefix: 'device-poll',
    points: 1,
    duration: POLL_WINDOW_SECONDS,
  });

  async function tooSoon(deviceCode: string): Promise<boolean> {
    try {
      await polls.consume(pollKey(deviceCode));
      return false;
    } catch (err) {
      if (err instanceof RateLimiterRes) return true;
      throw err;
    }
  }

  return async function deviceCodeGrant(ctx) {
    const deviceCode = ctx.oidc.params?.device_code;
    const soon = plausibleCode(deviceCode) ? await protocolErrors(tooSoon(deviceCode)) : false;
    try {
      await original(ctx);
    } catch (err) {
      if (errorCode(err) === 'authorization_pending' && soon) throw new errors.SlowDown();
      if (
        errorCode(err) === 'invalid_grant' &&
        plausibleCode(deviceCode) &&
        (await protocolErrors(isExpiredDeviceCode(db, deviceCode)))
      )
        throw new errors.ExpiredToken('device code is expired');
      throw err;
    }
  };
}

/**
 * RFC 8628 §3.2 (the errors of RFC 6749 §5.2) and §3.4: a client not registered for the grant hears
 * unauthorized_client, at the device authorization endpoint and at the token endpoint. The library
 * answers invalid_request in both places (lib/actions/authorization/client.js checkClientGrantType,
 * lib/actions/token.js); the answer is corrected after it, as for the extension grants (internals.ts).
 */
function answerUnauthorizedDeviceClient() {
  return async function answerUnauthorizedDeviceClient(ctx: Context, next: Next): Promise<void> {
    await next();
    const body = ctx.body as { error?: unknown } | null | undefined;
    if (ctx.status !== 400 || ctx.method !== 'POST' || body?.error !== 'invalid_request') return;
    const { oidc } = ctx as Context & { oidc?: KoaContextWithOIDC['oidc'] };
    const client = oidc?.client;
    if (!client || client.grantTypeAllowed(DEVICE_CODE_GRANT)) return;
    const atDeviceEndpoint = oidc.route === 'device_authorization';
    const atToken = oidc.route === 'token' && oidc.params?.grant_type === DEVICE_CODE_GRANT;
    if (!atDeviceEndpoint && !atToken) return;
    ctx.body = {
      error: 'unauthorized_client',
      error_description: 'the client is not allowed to use the device authorization grant',
    };
  };
}

export const deviceFlow: Feature = {
  configure(config) {
    return {
      features: {
        deviceFlow: {
          enabled: true,
          charset: USER_CODE_CHARSET,
          mask: USER_CODE_MASK,
          // §5.4: what the confirmation shows of the device that asked. Its address as the limits
          // see it (security/source.ts): behind a proxy, not the spoofable leftmost X-Forwarded-For.
          deviceInfo: (ctx) => ({ ip: sourceOf(ctx.req, config.proxy), ua: ctx.get('user-agent') }),
        },
      },
      // §3.2 expires_in: how long the device code and its user code may be used (DEVICE_CODE_TTL).
      ttl: { DeviceCode: config.deviceFlow.codeTtlSeconds },
    };
  },
  install(provider, _config, deps) {
    wrapGrantHandler(provider, DEVICE_CODE_GRANT, (original) => withPollingAnswers(deps.db, original));
    provider.use(answerUnauthorizedDeviceClient());
  },
};
