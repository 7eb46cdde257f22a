/**
 * An unsigned request object passed by value (OpenID Connect Core §6.1): processed (state and nonce
 * taken from it), or rejected with request_not_supported (§3.1.2.6). Like the suite, SKIPPED when
 * discovery does not offer alg none for request objects; the request is still sent, and an OP that
 * silently ignores the object (instead of either) fails.
 */
import * as oidc from 'openid-client';
import { defineModule } from '../module';
import { Failure, Skip, check } from '../result';

function unsigned(claims: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'none', typ: 'oauth-authz-req+jwt' })}.${part(claims)}.`;
}

export default defineModule({
  name: 'oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported',
  plan: 'basic',
  summary: 'an unsigned request object: processed, or rejected with request_not_supported',
  async run(ctx) {
    const metadata = await ctx.metadata();
    const algs = metadata.request_object_signing_alg_values_supported;
    const offered = Array.isArray(algs) && algs.includes('none');
    const rp = await ctx.rp();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const inner = {
      iss: ctx.options.client.id,
      aud: metadata.issuer,
      response_type: 'code',
      client_id: ctx.options.client.id,
      scope: 'openid',
      redirect_uri: ctx.options.redirectUri,
      state,
      nonce,
    };
    const url = new URL(String(metadata.authorization_endpoint));
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: ctx.options.client.id,
      scope: 'openid',
      redirect_uri: ctx.options.redirectUri,
      request: unsigned(inner),
    }).toString();
    const person = ctx.person();
    const outcome = await person.authorize(url.toString());
    let rejected: string | undefined;
    if (outcome.kind === 'page') {
      const text = person.seen[person.seen.length - 1]?.text ?? '';
      check(outcome.page.status >= 400, `the request ended on a ${outcome.page.status} page`);
      check(
        /request_not_supported/.test(text),
        `the OP showed an error other than request_not_supported: ${text.slice(0, 160)}`,
      );
      rejected = 'an error page';
    } else {
      const error = outcome.url.searchParams.get('error');
      if (error) {
        check(error === 'request_not_supported', `the OP answered ${error}, expected request_not_supported`);
        rejected = 'an error redirect';
      } else {
        // Processed: the state and nonce only the request object carried must come back.
        check(
          outcome.url.searchParams.get('state') === state,
          'the OP ignored the request object (no state from it)',
        );
        const flow = { rp, client: ctx.options.client, callback: outcome.url, state, nonce, params: inner };
        await ctx.redeem(flow).catch((err: unknown) => {
          throw new Failure(`request object processed, but: ${(err as Error).message}`);
        });
      }
    }
    if (!offered)
      throw new Skip(
        `discovery does not list none in request_object_signing_alg_values_supported (the suite skips)${rejected ? `; the OP answers request_not_supported by ${rejected}` : ''}`,
      );
  },
});
