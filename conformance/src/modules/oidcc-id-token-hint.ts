/**
 * id_token_hint with prompt=none (OpenID Connect Core §3.1.2.1): the OP accepts its own ID token as a
 * hint for the signed-in person and answers without a page, for the same sub.
 */
import { defineModule } from '../module';
import { check } from '../result';

export default defineModule({
  name: 'oidcc-id-token-hint',
  plan: 'basic',
  summary: 'prompt=none with the previous id_token as id_token_hint: a code, same sub',
  async run(ctx) {
    const person = ctx.person();
    const first = await ctx.redeem(await ctx.authorize(person));
    const flow = await ctx.authorize(person, { prompt: 'none', id_token_hint: first.idToken });
    const second = await ctx.redeem(flow);
    check(second.claims.sub === first.claims.sub, 'id_token_hint gave another sub');
  },
});
