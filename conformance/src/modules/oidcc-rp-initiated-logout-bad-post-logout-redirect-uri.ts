/** RP-Initiated Logout §3: an unregistered post_logout_redirect_uri is never redirected to. */
import { defineModule } from '../module';
import { expectRefused, logoutUrl, signedIn } from '../steps/logout';

export default defineModule({
  name: 'oidcc-rp-initiated-logout-bad-post-logout-redirect-uri',
  plan: 'logout',
  summary: 'an unregistered post_logout_redirect_uri: refused, no redirect',
  async run(ctx) {
    const { person, tokens, endpoint } = await signedIn(ctx);
    await expectRefused(
      ctx,
      person,
      logoutUrl(endpoint, {
        id_token_hint: tokens.idToken,
        post_logout_redirect_uri: 'https://unregistered.invalid/logged-out',
        state: 'bad-uri',
      }),
    );
  },
});
