/** nonce is optional in the code flow (OpenID Connect Core §3.1.2.1); then the ID token has none. */
import { defineModule } from '../module';

export default defineModule({
  name: 'oidcc-ensure-request-without-nonce-succeeds-for-code-flow',
  plan: 'basic',
  summary: 'a code flow request without nonce succeeds and the ID token carries no nonce',
  async run(ctx) {
    await ctx.signIn({}, { nonce: false });
  },
});
