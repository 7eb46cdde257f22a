/** claims_locales (OpenID Connect Core §5.2): accepted. */
import { defineModule } from '../module';

export default defineModule({
  name: 'oidcc-claims-locales',
  plan: 'basic',
  summary: 'claims_locales is accepted',
  async run(ctx) {
    const { flow, tokens } = await ctx.signIn({ claims_locales: 'se', scope: 'openid profile' });
    await ctx.userinfo(flow, tokens);
  },
});
