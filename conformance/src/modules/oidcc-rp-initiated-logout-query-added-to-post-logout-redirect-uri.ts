/** RP-Initiated Logout §3: the registered URI with a query added is another URI: refused. */
import { defineModule } from '../module';
import { expectRefused, logoutUrl, signedIn } from '../steps/logout';

export default defineModule({
  name: 'oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri',
  plan: 'logout',
  summary: 'the registered post_logout_redirect_uri with a query added: refused, no redirect',
  async run(ctx) {
    const { person, tokens, endpoint } = await signedIn(ctx);
    const uri = new URL(ctx.options.postLogoutRedirectUri);
    uri.searchParams.set('added', 'yes');
    await expectRefused(
      ctx,
      person,
      logoutUrl(endpoint, {
        id_token_hint: tokens.idToken,
        post_logout_redirect_uri: uri.toString(),
        state: 'q',
      }),
    );
  },
});
