/**
 * An authorization request without response_type (OpenID Connect Core §3.1.2.2): the OP shows an
 * error or redirects back with invalid_request / unsupported_response_type; it never issues a code.
 */
import { defineModule } from '../module';
import { check } from '../result';
import { errorRedirect } from '../steps/shared';

export default defineModule({
  name: 'oidcc-response-type-missing',
  plan: 'basic',
  summary: 'no response_type: an error page or an error redirect, never a code',
  async run(ctx) {
    const request = await ctx.request({});
    request.url.searchParams.delete('response_type');
    const person = ctx.person();
    const outcome = await person.open(request.url.toString());
    if (outcome.kind === 'page') {
      const kind = person.seen[person.seen.length - 1]!.kind;
      check(kind !== 'login' && kind !== 'consent', `the OP went on to the ${kind} page`);
      check(outcome.page.status >= 400, `the OP answered ${outcome.page.status} instead of an error`);
      return;
    }
    const { error } = errorRedirect(outcome, request.state);
    check(
      error === 'invalid_request' || error === 'unsupported_response_type',
      `error ${error}, expected invalid_request or unsupported_response_type`,
    );
  },
});
