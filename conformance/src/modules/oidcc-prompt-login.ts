/**
 * prompt=login (OpenID Connect Core §3.1.2.1): a signed-in person is asked to sign in again, and the
 * new ID token's auth_time is that of the new login, for the same sub.
 */
import { defineModule } from '../module';
import { check } from '../result';

export default defineModule({
  name: 'oidcc-prompt-login',
  plan: 'basic',
  summary: 'prompt=login makes a signed-in person sign in again; auth_time moves on',
  async run(ctx) {
    const person = ctx.person();
    const first = await ctx.redeem(await ctx.authorize(person));
    const before = Math.floor(Date.now() / 1000);
    const flow = await ctx.authorize(person, { prompt: 'login' });
    check(person.logins === 2, 'prompt=login did not ask the person to sign in again');
    const second = await ctx.redeem(flow, { authTimeAtLeast: before });
    check(second.claims.sub === first.claims.sub, 'the second login gave another sub');
    if (second.claims.auth_time === undefined) ctx.warn('id_token has no auth_time after prompt=login');
  },
});
