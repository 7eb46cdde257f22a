/** The authorization request as a form POST (OpenID Connect Core §3.1.2.1: GET and POST). */
import { defineModule } from '../module';

export default defineModule({
  name: 'oidcc-ensure-post-request-succeeds',
  plan: 'basic',
  summary: 'the authorization request sent as a form POST succeeds',
  async run(ctx) {
    const person = ctx.person();
    await ctx.redeem(await ctx.authorize(person, {}, { post: true }));
  },
});
