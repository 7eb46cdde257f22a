/** max_age=10000 right after a login: no new login; auth_time present and unchanged. */
import { defineModule } from '../module';
import { check } from '../result';

export default defineModule({
  name: 'oidcc-max-age-10000',
  plan: 'basic',
  summary: 'max_age=10000 after a login: no new login, auth_time present and the same',
  async run(ctx) {
    const person = ctx.person();
    const first = await ctx.redeem(await ctx.authorize(person));
    const flow = await ctx.authorize(person, { max_age: '10000' });
    check(person.logins === 1, 'max_age=10000 asked the person to sign in again');
    const second = await ctx.redeem(flow, { maxAge: 10000 });
    check(second.claims.auth_time !== undefined, 'id_token has no auth_time though max_age was sent');
    if (first.claims.auth_time !== undefined)
      check(second.claims.auth_time === first.claims.auth_time, 'auth_time changed without a new login');
  },
});
