/** UserInfo by POST with the access token in a form body (RFC 6750 §2.2). */
import { defineModule } from '../module';
import { userinfoByPost } from '../steps/userinfo';

export default defineModule({
  name: 'oidcc-userinfo-post-body',
  plan: 'basic',
  summary: 'UserInfo by POST with access_token in the form body',
  async run(ctx) {
    const { tokens } = await ctx.signIn();
    await userinfoByPost(ctx, tokens, true);
  },
});
