/** OpenID Connect Core §3.1.2.1 / RFC 6749 §3.1: unknown request parameters are ignored. */
import { defineModule } from '../module';

export default defineModule({
  name: 'oidcc-ensure-request-with-unknown-parameter-succeeds',
  plan: 'basic',
  summary: 'an unknown authorization parameter is ignored',
  async run(ctx) {
    await ctx.signIn({ extra: 'foobar' });
  },
});
