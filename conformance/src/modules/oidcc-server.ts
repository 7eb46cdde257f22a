/** The happy flow: code flow with client_secret_basic, state and nonce, every ID token check. */
import { defineModule } from '../module';
import { check } from '../result';

export default defineModule({
  name: 'oidcc-server',
  plan: 'basic',
  summary: 'code flow with client_secret_basic: state, nonce, the ID token checks, the token response',
  async run(ctx) {
    const person = ctx.person();
    const flow = await ctx.authorize(person);
    // RFC 9207: an OP that says it sends iss in the authorization response must send its own.
    if ((await ctx.metadata()).authorization_response_iss_parameter_supported === true)
      check(
        flow.callback.searchParams.get('iss') === (await ctx.metadata()).issuer,
        'the response iss is not the issuer',
      );
    check(person.logins === 1, 'the person was not asked to sign in');
    await ctx.redeem(flow);
  },
});
