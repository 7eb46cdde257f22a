/** acr_values as a voluntary request (OpenID Connect Core §3.1.2.1): accepted; acr, if any, a string. */
import { defineModule } from '../module';

export default defineModule({
  name: 'oidcc-ensure-request-with-acr-values-succeeds',
  plan: 'basic',
  summary: 'acr_values "1 2" is accepted',
  async run(ctx) {
    await ctx.signIn({ acr_values: '1 2' });
  },
});
