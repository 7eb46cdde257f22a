/** UserInfo by GET with the access token in the Authorization header (OpenID Connect Core §5.3.1). */
import { defineModule } from '../module';
import { checkClaimTypes } from '../steps/shared';

export default defineModule({
  name: 'oidcc-userinfo-get',
  plan: 'basic',
  summary: 'UserInfo by GET with a bearer header; sub equals the ID token sub',
  async run(ctx) {
    const { flow, tokens } = await ctx.signIn();
    checkClaimTypes(await ctx.userinfo(flow, tokens), 'userinfo');
  },
});
