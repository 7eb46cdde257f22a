/**
 * The Dynamic OP plan's oidcc-redirect-uri-query-mismatch: a redirect URI registered with one
 * query and requested with another is not the registered URI (OpenID Connect Core §3.1.2.1 "MUST
 * exactly match"): an error page, never a redirect.
 */
import { defineModule } from '../module';
import { refusal } from '../steps/flows';
import { check } from '../result';
import { withQuery } from './oidcc-redirect-uri-query-OK';

export default defineModule({
  name: 'oidcc-redirect-uri-query-mismatch',
  plan: 'dynamic',
  summary: 'a redirect URI requested with another query than registered: an error page, no redirect',
  async run(ctx) {
    const registered = await ctx.registerClient({
      redirect_uris: [withQuery(ctx.options.redirectUri, 'foo=bar')],
    });
    const { page } = await refusal(
      ctx,
      { redirect_uri: withQuery(ctx.options.redirectUri, 'foo=zap') },
      { client: ctx.asClient(registered) },
    );
    check(page, 'the OP redirected to a redirect URI that was not registered');
  },
});
