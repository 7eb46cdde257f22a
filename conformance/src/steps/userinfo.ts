/** UserInfo by POST (OpenID Connect Core §5.3.1, RFC 6750 §2.1 and §2.2), sent by hand. */
import type { ModuleContext, Tokens } from '../context';
import { check } from '../result';
import { checkClaimTypes } from './shared';

export async function userinfoByPost(ctx: ModuleContext, tokens: Tokens, inBody: boolean): Promise<void> {
  const endpoint = (await ctx.metadata()).userinfo_endpoint;
  check(typeof endpoint === 'string', 'discovery has no userinfo_endpoint');
  const res = await ctx.raw(endpoint, {
    method: 'POST',
    headers: inBody
      ? { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }
      : { authorization: `Bearer ${tokens.accessToken}`, accept: 'application/json' },
    ...(inBody ? { body: new URLSearchParams({ access_token: tokens.accessToken }).toString() } : {}),
  });
  if (res.status !== 200)
    check(false, `userinfo POST answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  check(
    /^application\/json\b/.test(res.headers.get('content-type') ?? ''),
    'userinfo is not application/json',
  );
  const body = (await res.json()) as Record<string, unknown>;
  check(body.sub === tokens.claims.sub, 'userinfo sub is not the ID token sub');
  checkClaimTypes(body, 'userinfo');
}
