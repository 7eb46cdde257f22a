/**
 * max_age=1 (OpenID Connect Core §3.1.2.1): after more than a second the person must sign in again,
 * and auth_time (required with max_age) is the new login's.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { defineModule } from '../module';
import { check } from '../result';

export default defineModule({
  name: 'oidcc-max-age-1',
  plan: 'basic',
  summary: 'max_age=1 two seconds after a login: sign in again; auth_time present and new',
  async run(ctx) {
    const person = ctx.person();
    const first = await ctx.redeem(await ctx.authorize(person));
    await sleep(2000);
    const before = Math.floor(Date.now() / 1000);
    const flow = await ctx.authorize(person, { max_age: '1' });
    check(person.logins === 2, 'max_age=1 did not ask the person to sign in again');
    const second = await ctx.redeem(flow, { maxAge: 1, authTimeAtLeast: before });
    check(second.claims.sub === first.claims.sub, 'the second login gave another sub');
  },
});
