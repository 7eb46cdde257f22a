/** prompt=none with a session (OpenID Connect Core §3.1.2.1): a code without any page, same sub. */
import { defineModule } from '../module';
import { check } from '../result';

export default defineModule({
  name: 'oidcc-prompt-none-logged-in',
  plan: 'basic',
  summary: 'prompt=none with a session: a code without showing a page, same sub',
  async run(ctx) {
    const person = ctx.person();
    const first = await ctx.redeem(await ctx.authorize(person));
    const seen = person.seen.length;
    const flow = await ctx.authorize(person, { prompt: 'none' });
    check(person.seen.length === seen, 'prompt=none showed a page');
    const second = await ctx.redeem(flow);
    check(second.claims.sub === first.claims.sub, 'prompt=none gave another sub');
  },
});
