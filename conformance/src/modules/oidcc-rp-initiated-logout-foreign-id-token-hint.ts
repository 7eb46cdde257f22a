/**
 * RP-Initiated Logout §2: an id_token_hint the OP did not issue (right iss, aud, sub and kid, signed
 * with another key) is not honoured.
 */
import { generateKeyPair, SignJWT, decodeProtectedHeader } from 'jose';
import { defineModule } from '../module';
import { expectRefused, logoutUrl, signedIn } from '../steps/logout';

export default defineModule({
  name: 'oidcc-rp-initiated-logout-foreign-id-token-hint',
  plan: 'logout',
  summary: 'an id_token_hint signed by a key the OP does not own: no redirect',
  async run(ctx) {
    const { person, tokens, endpoint } = await signedIn(ctx);
    const { privateKey } = await generateKeyPair('RS256');
    const kid = decodeProtectedHeader(tokens.idToken).kid;
    const foreign = await new SignJWT({ ...tokens.claims })
      .setProtectedHeader({ alg: 'RS256', ...(kid ? { kid } : {}) })
      .sign(privateKey);
    await expectRefused(
      ctx,
      person,
      logoutUrl(endpoint, {
        id_token_hint: foreign,
        post_logout_redirect_uri: ctx.options.postLogoutRedirectUri,
        state: 'foreign',
      }),
    );
  },
});
