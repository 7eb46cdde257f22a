/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) steps the logout modules share: a
 * signed-in person, the logout request, and the check that a refused request never redirects.
 */
import type { ModuleContext, Tokens } from '../context';
import type { Person } from '../person';
import { Skip, check } from '../result';

export async function endSessionEndpoint(ctx: ModuleContext): Promise<string> {
  const endpoint = (await ctx.metadata()).end_session_endpoint;
  if (endpoint === undefined)
    throw new Skip('discovery has no end_session_endpoint (RP-initiated logout not offered)');
  check(typeof endpoint === 'string' && URL.canParse(endpoint), 'end_session_endpoint is not a URL');
  return endpoint;
}

export async function signedIn(
  ctx: ModuleContext,
): Promise<{ person: Person; tokens: Tokens; endpoint: string }> {
  const endpoint = await endSessionEndpoint(ctx);
  const { person, tokens } = await ctx.signIn();
  return { person, tokens, endpoint };
}

export function logoutUrl(endpoint: string, params: Record<string, string>): string {
  const url = new URL(endpoint);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

/**
 * §3: a request the OP must refuse. It may show an error, or ask the person to confirm a logout
 * without redirecting; it must never send the browser to the post_logout_redirect_uri.
 */
export async function expectRefused(ctx: ModuleContext, person: Person, url: string): Promise<void> {
  let outcome = await person.open(url);
  check(
    outcome.kind === 'page',
    `the OP redirected to ${outcome.kind === 'callback' ? outcome.url.toString() : ''}`,
  );
  if (outcome.page.status < 400 && person.seen[person.seen.length - 1]?.kind === 'logout') {
    // Asked to confirm: confirming must still not redirect anywhere.
    outcome = await person.proceed(outcome);
    check(
      outcome.kind === 'page',
      `after confirming, the OP redirected to ${outcome.kind === 'callback' ? outcome.url.toString() : ''}`,
    );
    ctx.warn('the OP asked to confirm a logout it should have refused');
  }
}
