/**
 * OpenID Connect Core §3.1.2.1: the authorization endpoint MUST support GET and POST. oidc-provider 9
 * serves POST only with `enableHttpPostMethods`, which it allows only with SameSite=None session
 * cookies (a cross-site form POST carries no Lax cookie), and those are refused by browsers on an
 * http issuer. Instead, a form POST to the endpoint is answered with a 303 to the same endpoint with
 * the same parameters in the query: the browser follows with a top-level GET, which carries the
 * SameSite=Lax cookies, and the provider handles the request as the GET it is. Nothing is parsed
 * here beyond the form encoding; validation stays the provider's.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { GatehouseError } from '../errors';

/** The provider's own limit for its request bodies. */
const LIMIT_BYTES = 56 * 1024;

async function readForm(ctx: Context): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded'))
    throw new GatehouseError('invalid_request', 400, 'the authorization request must be a urlencoded form');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > LIMIT_BYTES)
      throw new GatehouseError('payload_too_large', 413, 'the request body is too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export function authorizationPostRouter(authorizationPath = '/auth'): Router {
  const router = new Router();
  router.post('postAuthorization', authorizationPath, async function postAuthorization(ctx) {
    const params = await readForm(ctx);
    // Parameters in the URL as well are kept, so the provider still sees (and refuses) duplicates.
    for (const [name, value] of new URLSearchParams(ctx.querystring)) params.append(name, value);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 303;
    ctx.redirect(`${authorizationPath}?${params.toString()}`);
  });
  return router;
}
