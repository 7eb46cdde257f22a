/**
 * prompt=none without a session (OpenID Connect Core §3.1.2.6): no page, an error redirect with
 * login_required (or another error of §3.1.2.6), state echoed.
 */
import { defineModule } from '../module';
import { check } from '../result';
import { errorRedirect } from '../steps/shared';

const ALLOWED = ['login_required', 'interaction_required', 'consent_required', 'account_selection_required'];

export default defineModule({
  name: 'oidcc-prompt-none-not-logged-in',
  plan: 'basic',
  summary: 'prompt=none without a session: an error redirect (login_required), no page',
  async run(ctx) {
    const request = await ctx.request({ prompt: 'none' });
    const person = ctx.person();
    const outcome = await person.open(request.url.toString());
    check(outcome.kind === 'callback', 'prompt=none showed a page instead of redirecting back');
    const { error } = errorRedirect(outcome, request.state);
    check(ALLOWED.includes(error), `error ${error}, expected login_required`);
    if (error !== 'login_required') ctx.warn(`error ${error} where login_required was expected`);
  },
});
