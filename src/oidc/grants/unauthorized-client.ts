/**
 * RFC 6749 §5.2: a client that is authenticated but does not list the grant type it uses gets
 * `unauthorized_client`. oidc-provider answers that case with `invalid_request` ("requested grant
 * type is not allowed for this client", lib/actions/token.js allowedGrantTypeCheck) before any grant
 * handler runs, so for Gatehouse's own extension grants the answer is corrected here, after the
 * library's error handler: only when the client is known and does not list the grant.
 */
import type { Context, Next } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';

export function unauthorizedClientForGrants(grantTypes: ReadonlySet<string>) {
  return async function answerUnauthorizedClient(ctx: Context, next: Next): Promise<void> {
    await next();
    if (ctx.status !== 400 || ctx.method !== 'POST') return;
    const body = ctx.body as { error?: unknown } | undefined;
    if (!body || typeof body !== 'object' || body.error !== 'invalid_request') return;
    const { oidc } = ctx as unknown as KoaContextWithOIDC;
    if (oidc?.route !== 'token') return;
    const grantType = oidc.params?.grant_type;
    const client = oidc.client;
    if (typeof grantType !== 'string' || !grantTypes.has(grantType) || !client) return;
    if (client.grantTypeAllowed(grantType)) return;
    ctx.body = {
      error: 'unauthorized_client',
      error_description: 'the client is not allowed to use this grant type',
    };
  };
}
