/** login_hint (OpenID Connect Core §3.1.2.1): accepted; the login page is recorded for review. */
import { defineModule } from '../module';

export default defineModule({
  name: 'oidcc-login-hint',
  plan: 'basic',
  summary: 'login_hint is accepted (login page recorded for review)',
  async run(ctx) {
    const person = ctx.person();
    await ctx.redeem(await ctx.authorize(person, { login_hint: ctx.options.account.username }));
    const login = person.seen.find((p) => p.kind === 'login');
    if (login && !login.html.includes(`value="${ctx.options.account.username}"`))
      ctx.warn('the login page did not fill in the login_hint');
  },
});
