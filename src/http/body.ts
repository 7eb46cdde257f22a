/**
 * Body parsing for Gatehouse's own routes (never the provider's: it parses its own). JSON and
 * urlencoded forms, with a size limit; a broken body, a wrong content type or an oversized body
 * becomes a 4xx JSON error through the host's error middleware.
 */
import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import { findUnstorable } from '../db/text';
import { GatehouseError, badRequest } from '../errors';

export function parseBody(options: { limitBytes: number; types?: ('json' | 'form')[] }) {
  const types = options.types ?? ['json', 'form'];
  const parser = bodyParser({
    enableTypes: types,
    jsonLimit: options.limitBytes,
    formLimit: options.limitBytes,
    encoding: 'utf-8',
    // DELETE too: removing a second factor is proven by a code in the body (RFC 9110 §9.3.5 gives
    // DELETE content no general meaning, so only routes that declare a body get one parsed).
    parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
    onError(err: Error & { status?: number }) {
      if (err.status === 413)
        throw new GatehouseError('payload_too_large', 413, 'the request body is too large');
      if (err.status === 415)
        throw new GatehouseError('unsupported_media_type', 415, 'the body must be JSON or a urlencoded form');
      throw new GatehouseError('invalid_request', 400, 'the request body could not be parsed');
    },
  });
  return async function parseRequestBody(ctx: Context, next: Next): Promise<void> {
    const hasBody = Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
    if (
      hasBody &&
      ['POST', 'PUT', 'PATCH', 'DELETE'].includes(ctx.method) &&
      !ctx.is(types.map((t) => (t === 'json' ? 'json' : 'urlencoded')))
    ) {
      throw new GatehouseError('unsupported_media_type', 415, 'the body must be JSON or a urlencoded form');
    }
    await parser(ctx, async () => {
      refuseUnstorable((ctx.request as { body?: unknown }).body, 'body');
      await next();
    });
  };
}

/**
 * A value with U+0000 or an unpaired surrogate can never be stored (src/db/text.ts): refused at the
 * boundary with the field named, before any handler could send it to the database.
 */
export function refuseUnstorable(value: unknown, where: 'body' | 'query'): void {
  const field = findUnstorable(value);
  if (field === null) return;
  const name = field || where;
  throw badRequest(`'${name}' contains a character that is not allowed`, {
    [name]: 'contains a character that is not allowed',
  });
}

/** The parsed body as a plain object (an empty object when there was none). */
export function bodyOf(ctx: Context): Record<string, unknown> {
  const body = (ctx.request as { body?: unknown }).body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw new GatehouseError('invalid_request', 400, 'the request body must be a JSON object or a form');
  return body as Record<string, unknown>;
}
