/** PKCE with S256 (RFC 7636) from a confidential client: the exchange with the verifier succeeds. */
import { defineModule } from '../module';

export default defineModule({
  name: 'oidcc-ensure-request-with-valid-pkce-succeeds',
  plan: 'basic',
  summary: 'code_challenge S256 and the matching code_verifier succeed',
  async run(ctx) {
    await ctx.signIn({}, { pkce: true });
  },
});
