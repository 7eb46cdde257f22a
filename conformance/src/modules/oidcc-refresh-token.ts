/**
 * Refresh tokens (OpenID Connect Core §12): offline_access with prompt=consent (§11) gives a refresh
 * token; refreshing gives a working access token and an ID token for the same sub, iss, aud and
 * auth_time (§12.2); the refresh token presented by another client fails (RFC 6749 §6, §10.4).
 */
import * as oidc from 'openid-client';
import { describeError } from '../context';
import { defineModule } from '../module';
import { Failure, Skip, check } from '../result';

export default defineModule({
  name: 'oidcc-refresh-token',
  plan: 'basic',
  summary: 'offline_access gives a refresh token; refresh works; another client presenting it fails',
  async run(ctx) {
    const metadata = await ctx.metadata();
    const grants = metadata.grant_types_supported;
    if (Array.isArray(grants) && !grants.includes('refresh_token'))
      throw new Skip('grant_types_supported does not list refresh_token');
    const scopes = metadata.scopes_supported;
    if (Array.isArray(scopes) && !scopes.includes('offline_access'))
      throw new Skip('scopes_supported does not list offline_access');
    const { flow, tokens } = await ctx.signIn({ scope: 'openid offline_access', prompt: 'consent' });
    if (!tokens.refreshToken)
      throw new Skip('the OP issued no refresh token for offline_access (the suite skips)');

    let refreshed;
    try {
      refreshed = await oidc.refreshTokenGrant(flow.rp, tokens.refreshToken);
    } catch (err) {
      throw new Failure(`refresh failed: ${describeError(err)}`);
    }
    ctx.checkTokenResponse(flow.rp, refreshed);
    if (refreshed.id_token) {
      // §12.2: iss and sub the same, iat new, auth_time the original login's; no nonce check applies.
      const next = await ctx.tokens({ client: flow.client, nonce: tokens.claims.nonce }, refreshed);
      check(next.claims.sub === tokens.claims.sub, 'the refreshed ID token has another sub');
      if (tokens.claims.auth_time !== undefined)
        check(next.claims.auth_time === tokens.claims.auth_time, 'the refreshed ID token changed auth_time');
    }
    try {
      await oidc.fetchUserInfo(flow.rp, refreshed.access_token, tokens.claims.sub);
    } catch (err) {
      throw new Failure(`the refreshed access token fails at userinfo: ${describeError(err)}`);
    }

    const other = ctx.options.secondClient;
    if (!other) {
      ctx.warn('no second client given (--second-client-id): the wrong-client check did not run');
      return;
    }
    const current = refreshed.refresh_token ?? tokens.refreshToken;
    const res = await ctx.raw(String(metadata.token_endpoint), {
      method: 'POST',
      headers: {
        authorization: ctx.basic(other),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: current }).toString(),
    });
    const body = (await res.json().catch(() => ({}))) as { error?: string; access_token?: string };
    check(!body.access_token, `client ${other.id} refreshed a token issued to ${flow.client.id}`);
    if (body.error === 'invalid_client')
      throw new Failure(
        `client ${other.id} did not authenticate: check --second-client-id/--second-client-secret`,
      );
    check(res.status === 400, `the wrong client got ${res.status}, expected 400`);
    check(
      body.error === 'invalid_grant',
      `the wrong client got ${body.error ?? 'no error'}, expected invalid_grant`,
    );
  },
});
