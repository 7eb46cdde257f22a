/**
 * The Dynamic OP plan's oidcc-ensure-redirect-uri-in-authorization-request: redirect_uri is
 * REQUIRED in an OpenID Connect authentication request (Core §3.1.2.1), even when the client
 * registered only one: without it, an error page (there is nowhere safe to redirect to).
 */
import { defineModule } from '../module';
import { Failure, check } from '../result';

export default defineModule({
  name: 'oidcc-ensure-redirect-uri-in-authorization-request',
  plan: 'dynamic',
  summary: 'an authentication request without redirect_uri: an error, no code',
  async run(ctx) {
    const registered = await ctx.sharedClient();
    const request = await ctx.request({}, { client: ctx.asClient(registered) });
    const url = new URL(request.url);
    url.searchParams.delete('redirect_uri');
    const person = ctx.person();
    const outcome = await person.open(url.toString());
    if (outcome.kind === 'callback') {
      check(!outcome.url.searchParams.get('code'), 'the OP issued a code without a redirect_uri');
      throw new Failure(
        `the OP redirected to ${outcome.url.origin}${outcome.url.pathname} without a redirect_uri`,
      );
    }
    const kind = person.seen[person.seen.length - 1]?.kind;
    check(kind !== 'login' && kind !== 'consent', `the OP went on to the ${kind} page`);
    check(outcome.page.status >= 400, `the OP answered ${outcome.page.status} instead of an error`);
  },
});
