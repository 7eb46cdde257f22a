/**
 * RP-Initiated Logout 1.0 §2-§3: id_token_hint + post_logout_redirect_uri + state ends the session
 * (after the person confirms, if asked) and redirects there with the state; prompt=none afterwards
 * answers login_required.
 */
import { defineModule } from '../module';
import { check } from '../result';
import { logoutUrl, signedIn } from '../steps/logout';
import { errorRedirect } from '../steps/shared';

export default defineModule({
  name: 'oidcc-rp-initiated-logout',
  plan: 'logout',
  summary:
    'logout with id_token_hint, post_logout_redirect_uri and state; then prompt=none is login_required',
  async run(ctx) {
    const { person, tokens, endpoint } = await signedIn(ctx);
    const state = 'logout-state-' + Math.random().toString(36).slice(2);
    const outcome = await person.proceed(
      await person.open(
        logoutUrl(endpoint, {
          id_token_hint: tokens.idToken,
          post_logout_redirect_uri: ctx.options.postLogoutRedirectUri,
          state,
        }),
      ),
    );
    check(outcome.kind === 'callback', 'the logout did not redirect to the post_logout_redirect_uri');
    const back = outcome.url;
    const registered = new URL(ctx.options.postLogoutRedirectUri);
    check(
      back.origin === registered.origin && back.pathname === registered.pathname,
      `the logout redirected to ${back.toString()}`,
    );
    check(back.searchParams.get('state') === state, 'the logout redirect does not carry the state');
    const request = await ctx.request({ prompt: 'none' });
    const silent = await person.open(request.url.toString());
    check(silent.kind === 'callback', 'prompt=none after logout showed a page');
    const { error } = errorRedirect(silent, request.state);
    check(error === 'login_required', `prompt=none after logout answered ${error}, expected login_required`);
  },
});
