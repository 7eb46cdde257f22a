/**
 * A code used twice (RFC 6749 §4.1.2, OpenID Connect Core §3.1.3.2): the second exchange fails with
 * invalid_grant, and the OP SHOULD revoke the tokens the first one gave (a warning if not).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ModuleContext } from '../context';
import { check } from '../result';

export async function codeReuse(ctx: ModuleContext, waitMs: number): Promise<void> {
  const person = ctx.person();
  const flow = await ctx.authorize(person);
  const tokens = await ctx.redeem(flow);
  if (waitMs) await sleep(waitMs);
  const metadata = await ctx.metadata();
  const res = await ctx.raw(String(metadata.token_endpoint), {
    method: 'POST',
    headers: {
      authorization: ctx.basic(flow.client),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: flow.callback.searchParams.get('code')!,
      redirect_uri: ctx.options.redirectUri,
    }).toString(),
  });
  const body = (await res.json().catch(() => ({}))) as { error?: string; access_token?: string };
  check(!body.access_token, 'the reused code gave tokens again');
  check(res.status === 400, `the reused code answered ${res.status}, expected 400`);
  check(body.error === 'invalid_grant', `the reused code answered ${body.error}, expected invalid_grant`);
  const userinfo = await ctx.raw(String(metadata.userinfo_endpoint), {
    headers: { authorization: `Bearer ${tokens.accessToken}` },
  });
  if (userinfo.status === 200)
    ctx.warn('the access token of the reused code still works (OAuth 2.0 §4.1.2: SHOULD be revoked)');
  else
    check(
      userinfo.status === 401,
      `userinfo with the revoked token answered ${userinfo.status}, expected 401`,
    );
}
