/**
 * The happy flow with the scope values and the query parameters in reverse order: RFC 6749 §3.3,
 * the order of scope values does not matter.
 */
import { defineModule } from '../module';
import { requireScopes } from '../steps/shared';

export default defineModule({
  name: 'oidcc-alternate-happy-flow',
  plan: 'basic',
  summary: 'scope "email openid" and the query reordered: still a happy flow',
  async run(ctx) {
    await requireScopes(ctx, ['email']);
    const { flow, tokens } = await ctx.signIn({ scope: 'email openid' }, { reverse: true });
    const userinfo = await ctx.userinfo(flow, tokens);
    if (!('email' in userinfo)) ctx.warn('userinfo returned no email');
  },
});
