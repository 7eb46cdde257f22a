/**
 * An unregistered redirect_uri (OpenID Connect Core §3.1.2.1, RFC 6749 §3.1.2.4): the OP shows an
 * error and never redirects there.
 */
import { defineModule } from '../module';
import { check } from '../result';

export default defineModule({
  name: 'oidcc-ensure-registered-redirect-uri',
  plan: 'basic',
  summary: 'an unregistered redirect_uri: an error page, no redirect',
  async run(ctx) {
    const unregistered = 'https://unregistered.invalid/callback';
    const request = await ctx.request({ redirect_uri: unregistered });
    const person = ctx.person();
    const outcome = await person.open(request.url.toString());
    check(
      outcome.kind === 'page',
      `the OP redirected to ${outcome.kind === 'callback' ? outcome.url.origin : ''}`,
    );
    const kind = person.seen[person.seen.length - 1]!.kind;
    check(kind !== 'login' && kind !== 'consent', `the OP went on to the ${kind} page`);
    check(outcome.page.status >= 400, `the OP answered ${outcome.page.status} instead of an error`);
  },
});
