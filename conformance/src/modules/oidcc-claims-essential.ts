/**
 * The claims request parameter asking for name as an essential UserInfo claim (OpenID Connect Core
 * §5.5, §5.5.1): the request succeeds; name should come from UserInfo and not in the ID token.
 */
import { defineModule } from '../module';

export default defineModule({
  name: 'oidcc-claims-essential',
  plan: 'basic',
  summary: 'claims={"userinfo":{"name":{"essential":true}}}: name at UserInfo, not in the ID token',
  async run(ctx) {
    const claims = JSON.stringify({ userinfo: { name: { essential: true } } });
    const { flow, tokens } = await ctx.signIn({ claims });
    const userinfo = await ctx.userinfo(flow, tokens);
    if (!('name' in userinfo)) {
      const supported = (await ctx.metadata()).claims_parameter_supported === true;
      ctx.warn(
        `userinfo has no name${supported ? '' : ' (discovery: claims_parameter_supported is not true)'}`,
      );
    }
    if ('name' in tokens.claims) ctx.warn('the ID token carries name, requested for UserInfo only');
  },
});
