/**
 * A database outage in the provider's terms. oidc-provider answers any error that is not one of its
 * own exposed errors with a generic 500 server_error (lib/shared/error_handler.js, helpers/err_out.js)
 * and, at the authorization endpoint, redirects that to the relying party. So the errors of the
 * Gatehouse code the library calls (the adapter, findAccount, loadExistingGrant, the grants) become
 * `temporarily_unavailable` with status 503 before the library's handlers see them: the library then
 * answers it in each endpoint's own shape, JSON, the error page, or a redirect to the relying party
 * (RFC 6749 §4.1.2.1 defines the code for the authorization endpoint).
 */
import type { Context, Next } from 'koa';
import { errors, type Adapter, type AdapterPayload, type Configuration } from 'oidc-provider';
import { RETRY_AFTER_SECONDS, UNAVAILABLE_DESCRIPTION, isDatabaseUnavailable } from '../db/unavailable';
import { answerError, type RenderErrorPage } from '../http/errors';

export class TemporarilyUnavailable extends errors.OIDCProviderError {
  constructor(cause: unknown) {
    // The cause's message becomes `error_detail`, which the library never sends to the client.
    super(503, 'temporarily_unavailable', { cause });
    this.error_description = UNAVAILABLE_DESCRIPTION;
    // The base class exposes only statuses below 500; this one is meant for the client.
    this.expose = true;
  }
}

/** `err` as the provider should see it: an outage as TemporarilyUnavailable, anything else as is. */
export function asProtocolError(err: unknown): unknown {
  return isDatabaseUnavailable(err) && !(err instanceof TemporarilyUnavailable)
    ? new TemporarilyUnavailable(err)
    : err;
}

/** The promise's outage as TemporarilyUnavailable. */
export async function protocolErrors<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw asProtocolError(err);
  }
}

/** The same function, its outages turned into TemporarilyUnavailable. */
export function unavailableAsProtocolError<A extends unknown[], R>(
  fn: (...args: A) => R | Promise<R>,
): (...args: A) => Promise<R> {
  return function withProtocolErrors(...args: A): Promise<R> {
    // Through an async function, so that a synchronous throw is caught as well.
    return protocolErrors((async () => fn(...args))());
  };
}

/** An adapter whose outages reach the library as TemporarilyUnavailable. */
class ProtocolErrorAdapter implements Adapter {
  constructor(private readonly inner: Adapter) {}

  upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    return protocolErrors(this.inner.upsert(id, payload, expiresIn));
  }

  find(id: string): Promise<AdapterPayload | undefined | void> {
    return protocolErrors(this.inner.find(id));
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined | void> {
    return protocolErrors(this.inner.findByUserCode(userCode));
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined | void> {
    return protocolErrors(this.inner.findByUid(uid));
  }

  consume(id: string): Promise<void> {
    return protocolErrors(this.inner.consume(id));
  }

  destroy(id: string): Promise<void> {
    return protocolErrors(this.inner.destroy(id));
  }

  revokeByGrantId(grantId: string): Promise<void> {
    return protocolErrors(this.inner.revokeByGrantId(grantId));
  }
}

export function unavailableAdapterFactory(factory: (model: string) => Adapter): (model: string) => Adapter {
  const cache = new Map<string, Adapter>();
  return (model: string) => {
    let adapter = cache.get(model);
    if (!adapter) {
      adapter = new ProtocolErrorAdapter(factory(model));
      cache.set(model, adapter);
    }
    return adapter;
  };
}

/** The contexts whose 500 server_error was an outage (set from the provider's 'server_error' event). */
const outages = new WeakMap<object, unknown>();

export function markOutage(ctx: unknown, err: unknown): boolean {
  if (!isDatabaseUnavailable(err) || typeof ctx !== 'object' || ctx === null) return false;
  outages.set(ctx, err);
  return true;
}

/**
 * The provider's outermost middleware (the first `provider.use`). It answers what the route error
 * handlers cannot: an outage thrown outside them (a session saved after the answer, the
 * client-authentication limiter around the routes), and a 500 server_error whose cause was an outage
 * that no wrapper turned into TemporarilyUnavailable. Every 503 of the provider gets Retry-After
 * (RFC 9110 §10.2.3). A redirect to the relying party is left as the library wrote it.
 */
export function answerDatabaseOutage(options: { renderError?: Configuration['renderError'] }) {
  async function answer(ctx: Context, cause: unknown): Promise<void> {
    // A redirect written before the failure (the session is saved after the answer) is void.
    ctx.remove('Location');
    // The one error handler, as the library's own: a page for browsers, the OAuth JSON for the rest.
    const renderPage = options.renderError as RenderErrorPage | undefined;
    await answerError(ctx, new TemporarilyUnavailable(cause), { format: 'negotiate', renderPage });
  }

  return async function answerDatabaseOutage(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      await answer(ctx, err);
    }
    const outage = outages.get(ctx);
    if (outage !== undefined && ctx.status === 500) await answer(ctx, outage);
    if (ctx.status === 503) ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
  };
}
