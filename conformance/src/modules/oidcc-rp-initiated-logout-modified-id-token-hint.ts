/** RP-Initiated Logout §2: an id_token_hint whose signature was altered is not honoured. */
import { defineModule } from '../module';
import { expectRefused, logoutUrl, signedIn } from '../steps/logout';

export default defineModule({
  name: 'oidcc-rp-initiated-logout-modified-id-token-hint',
  plan: 'logout',
  summary: 'an id_token_hint with an altered signature: no redirect',
  async run(ctx) {
    const { person, tokens, endpoint } = await signedIn(ctx);
    const [header, payload, signature = ''] = tokens.idToken.split('.');
    const bytes = Buffer.from(signature, 'base64url');
    bytes[bytes.length >> 1]! ^= 0xff;
    const modified = `${header}.${payload}.${bytes.toString('base64url')}`;
    await expectRefused(
      ctx,
      person,
      logoutUrl(endpoint, {
        id_token_hint: modified,
        post_logout_redirect_uri: ctx.options.postLogoutRedirectUri,
        state: 'modified',
      }),
    );
  },
});
