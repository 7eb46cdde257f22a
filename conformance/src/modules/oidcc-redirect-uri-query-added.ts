/**
 * The Dynamic OP plan's oidcc-redirect-uri-query-added: a redirect URI registered without a query
 * and requested with one is not the registered URI (OpenID Connect Core §3.1.2.1 "MUST exactly
 * match"): an error page, never a redirect.
 */
import { defineModule } from '../module';
import { refusal } from '../steps/flows';
import { check } from '../result';
import { withQuery } from './oidcc-redirect-uri-query-OK';

export default defineModule({
  name: 'oidcc-redirect-uri-query-added',
  plan: 'dynamic',
  summary: 'a query added to the registered redirect URI: an error page, no redirect',
  async run(ctx) {
    const registered = await ctx.sharedClient();
    const { page } = await refusal(
      ctx,
      { redirect_uri: withQuery(ctx.options.redirectUri, 'foo=bar') },
      { client: ctx.asClient(registered) },
    );
    check(page, 'the OP redirected to a redirect URI that was not registered');
  },
});
