/** UserInfo by POST with the access token in the Authorization header. */
import { defineModule } from '../module';
import { userinfoByPost } from '../steps/userinfo';

export default defineModule({
  name: 'oidcc-userinfo-post-header',
  plan: 'basic',
  summary: 'UserInfo by POST with a bearer header',
  async run(ctx) {
    const { tokens } = await ctx.signIn();
    await userinfoByPost(ctx, tokens, false);
  },
});
