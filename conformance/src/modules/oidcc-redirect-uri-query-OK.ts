/**
 * The Dynamic OP plan's oidcc-redirect-uri-query-OK: a redirect URI registered with a query
 * (RFC 6749 §3.1.2: "MAY include an ... query component, which MUST be retained") is used exactly
 * as registered; the response reaches it with the query kept, and the code redeems with that
 * redirect_uri. The exchange is a plain request: openid-client sends the redirect URI without its
 * query (it derives it from the callback URL), which the OP rightly refuses (RFC 6749 §4.1.3).
 */
import { defineModule } from '../module';
import { Failure, check } from '../result';

export default defineModule({
  name: 'oidcc-redirect-uri-query-OK',
  plan: 'dynamic',
  summary: 'a redirect URI registered with a query, used as registered: the query kept, the code redeems',
  async run(ctx) {
    const uri = withQuery(ctx.options.redirectUri, 'foo=bar');
    const registered = await ctx.registerClient({ redirect_uris: [uri] });
    const person = ctx.person();
    const flow = await ctx.authorize(person, { redirect_uri: uri }, { client: ctx.asClient(registered) });
    check(flow.callback.searchParams.get('foo') === 'bar', 'the redirect lost the registered query foo=bar');
    const client = ctx.asClient(registered);
    const res = await ctx.raw(String((await ctx.metadata()).token_endpoint), {
      method: 'POST',
      headers: { authorization: ctx.basic(client), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: flow.callback.searchParams.get('code')!,
        redirect_uri: uri,
      }).toString(),
    });
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (res.status !== 200)
      throw new Failure(
        `code exchange with the registered redirect URI answered ${res.status} ${String(body.error)}`,
      );
    check(
      /\bno-store\b/i.test(res.headers.get('cache-control') ?? ''),
      'token response has no Cache-Control: no-store',
    );
    ctx.checkTokenResponse(flow.rp, body);
    await ctx.tokens(flow, body as { access_token: string; id_token?: string });
  },
});

export function withQuery(uri: string, query: string): string {
  const url = new URL(uri);
  url.search = query;
  return url.toString();
}
