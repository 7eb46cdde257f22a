/**
 * The seed-compatible integrator routes. /api/request-otp creates and sends a one-time code;
 * /api/token/password and /api/token/otp are the password and one-time-code grants for integrators
 * holding an `X-Service-Key` instead of client credentials. Those two only translate the key into its
 * client and hand the same grant request to the provider's own token endpoint (one code path): the
 * answers, errors included, are the token endpoint's, byte for byte.
 */
import { Readable } from 'node:stream';
import type { IncomingMessage, IncomingHttpHeaders } from 'node:http';
import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import type { Provider } from 'oidc-provider';
import { deliverInBackground, type OtpDelivery } from '../accounts/delivery';
import { currentMetrics, setActor } from '../audit/context';
import type { OtpStore } from '../accounts/otp';
import { MAX_USERNAME_LENGTH } from '../accounts/username';
import type { ClientStore, StoredClient } from '../clients/store';
import type { ServiceKeyStore } from '../clients/service-keys';
import { GatehouseError, badRequest } from '../errors';
import { bodyOf, parseBody } from '../http/body';
import type { Logger } from '../log';
import * as otpGrant from '../oidc/grants/otp';
import * as passwordGrant from '../oidc/grants/password';
import { nameKey, type RateLimitKind, type RateLimits } from '../security/rate-limits';
import { sourceOf } from '../security/source';
import { SERVICE_KEY_HEADER } from './paths';
import { INTEGRATOR_ROUTES } from './spec';

export interface IntegratorDeps {
  provider: Provider;
  otps: OtpStore;
  delivery: OtpDelivery;
  serviceKeys: ServiceKeyStore;
  clients: ClientStore;
  logger: Logger;
  otpTtlSeconds: number;
  bodyLimitBytes: number;
  /** RATE_LIMIT_OTP_REQUEST (per source) and RATE_LIMIT_OTP_REQUEST_NAME (per name). */
  rateLimits: RateLimits;
  /** PROXY: the source is the last X-Forwarded-For entry. */
  proxy: boolean;
}

/** Both spellings of a path: `/x` and `/x/` (integrators written against the seed use either). */
const withSlash = (path: string) => [path, `${path}/`];

/** The headers of the caller's request that still mean something at the token endpoint. */
const FORWARDED_HEADERS = [
  'host',
  'user-agent',
  'accept',
  'accept-language',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
];

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  // A JSON number is what a code often becomes in a client's hands; anything else is a mistake.
  if (typeof value === 'number' && Number.isFinite(value) && field !== 'username') return String(value);
  throw badRequest(`'${field}' must be a string`, { [field]: 'must be a string' });
}

/** RFC 6749 §2.3.1: client_secret_basic form-encodes id and secret before base64. */
function basicCredentials(clientId: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

const invalidServiceKey = (message: string) =>
  new GatehouseError('invalid_client', 401, message, {
    headers: { 'WWW-Authenticate': `${SERVICE_KEY_HEADER} realm="gatehouse"` },
  });

/** Counts one request; over the limit, the same 429 as the resend interval's. */
async function refuseOverLimit(limits: RateLimits, kind: RateLimitKind, key: string, what: string) {
  const verdict = await limits.consume(kind, key);
  if (verdict.ok) return;
  throw new GatehouseError('too_many_requests', 429, `${what}; retry after ${verdict.retryAfterSeconds} s`, {
    headers: { 'Retry-After': String(verdict.retryAfterSeconds) },
  });
}

export function createIntegratorRouter(deps: IntegratorDeps): Router {
  const router = new Router();
  const body = parseBody({ limitBytes: deps.bodyLimitBytes });
  const tokenEndpoint = deps.provider.callback();
  const tokenPath = deps.provider.pathFor('token');

  async function requireServiceKey(ctx: Context, next: Next): Promise<void> {
    const key = ctx.get(SERVICE_KEY_HEADER);
    if (!key) throw invalidServiceKey(`the ${SERVICE_KEY_HEADER} header is required`);
    const clientId = await deps.serviceKeys.verify(key);
    const client = clientId ? await deps.clients.findMetadata(clientId) : null;
    if (!client) throw invalidServiceKey('the service key is not valid');
    ctx.state.client = client;
    setActor({ type: 'client', id: client.client_id });
    await next();
  }

  /**
   * Replays the request against the provider's token endpoint as the key's client would send it:
   * a urlencoded grant request with the client's own credentials. The provider writes the response.
   */
  async function forwardToTokenEndpoint(
    ctx: Context,
    client: StoredClient,
    form: URLSearchParams,
  ): Promise<void> {
    const headers: IncomingHttpHeaders = {};
    for (const name of FORWARDED_HEADERS) if (ctx.req.headers[name]) headers[name] = ctx.req.headers[name];
    const method = client.token_endpoint_auth_method ?? 'client_secret_basic';
    if (method === 'client_secret_basic' && client.client_secret) {
      headers.authorization = basicCredentials(client.client_id, client.client_secret);
    } else if (method === 'client_secret_post' && client.client_secret) {
      form.set('client_id', client.client_id);
      form.set('client_secret', client.client_secret);
    } else if (method === 'none') {
      form.set('client_id', client.client_id);
    } else {
      throw invalidServiceKey('the service key belongs to a client that cannot use these routes');
    }
    const payload = Buffer.from(form.toString(), 'utf8');
    headers['content-type'] = 'application/x-www-form-urlencoded';
    headers['content-length'] = String(payload.length);

    const req = Object.assign(Readable.from([payload], { objectMode: false }), {
      method: 'POST',
      url: tokenPath,
      headers,
      httpVersion: ctx.req.httpVersion,
      httpVersionMajor: ctx.req.httpVersionMajor,
      httpVersionMinor: ctx.req.httpVersionMinor,
      socket: ctx.req.socket,
      connection: ctx.req.socket,
    }) as unknown as IncomingMessage;
    ctx.respond = false;
    await tokenEndpoint(req, ctx.res);
  }

  function exchange(grantType: string, fields: string[]) {
    return async function exchangeWithServiceKey(ctx: Context): Promise<void> {
      const input = bodyOf(ctx);
      const form = new URLSearchParams({ grant_type: grantType });
      for (const field of fields) {
        const value = optionalString(input, field);
        if (value !== undefined) form.set(field, value);
      }
      await forwardToTokenEndpoint(ctx, ctx.state.client as StoredClient, form);
    };
  }

  async function requestOtp(ctx: Context): Promise<void> {
    const username = optionalString(bodyOf(ctx), 'username')?.trim();
    if (!username) throw badRequest("missing required parameter 'username'", { username: 'required' });
    if (username.length > MAX_USERNAME_LENGTH)
      throw badRequest(`'username' is longer than ${MAX_USERNAME_LENGTH} characters`, {
        username: `at most ${MAX_USERNAME_LENGTH} characters`,
      });
    // Before the store is asked: a refused request sends nothing and writes no code. The name is
    // counted whether or not an account has it, so this refusal does not tell either.
    const source = sourceOf(ctx.req, deps.proxy);
    await refuseOverLimit(deps.rateLimits, 'otpRequest', source, 'too many codes were requested');
    const name = nameKey(username);
    await refuseOverLimit(
      deps.rateLimits,
      'otpRequestName',
      name,
      'too many codes were requested for this username',
    );
    const result = await deps.otps.request(username);
    if (result.status === 'throttled') {
      // Within the resend interval nothing is created: an impatient client retrying does not use up
      // the name's codes for the hour.
      await deps.rateLimits.refund('otpRequestName', name);
      currentMetrics()?.otpRequested('throttled');
      throw new GatehouseError(
        'too_many_requests',
        429,
        `a code was requested for this username recently; retry after ${result.retryAfterSeconds} s`,
        { headers: { 'Retry-After': String(result.retryAfterSeconds) } },
      );
    }
    // Sent after answering: the answer's time and content are the same for every name.
    if (result.issued) void deliverInBackground(deps.delivery, result.issued, deps.logger);
    // Only the metrics tell a code sent from a name no enabled account has; the answer never does.
    currentMetrics()?.otpRequested(result.issued ? 'sent' : 'unknown_user');
    ctx.status = 202;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'accepted', expires_in: deps.otpTtlSeconds };
  }

  /** Each route's chain after the checks its table entry names (spec/integrator-routes.ts). */
  const handlers: Record<string, Middleware> = {
    requestOtp,
    exchangePassword: exchange(passwordGrant.grantType, passwordGrant.parameters),
    exchangeOtp: exchange(otpGrant.grantType, otpGrant.parameters),
  };
  for (const route of INTEGRATOR_ROUTES) {
    const handler = handlers[route.operationId];
    if (!handler) throw new Error(`no handler for ${route.operationId}`);
    const chain: Middleware[] = [];
    if (route.access === 'service-key') chain.push(requireServiceKey);
    if (route.body) chain.push(body);
    router[route.method](withSlash(route.path), ...chain, handler);
  }

  return router;
}
