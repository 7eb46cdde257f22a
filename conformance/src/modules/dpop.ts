/**
 * DPoP (RFC 9449), as the suite's FAPI 2.0 plans use it (fapi2-dpop): the demo client signs in and
 * redeems the code with openid-client's DPoP proofs; the access token is a DPoP token (§5), userinfo
 * answers it with a proof (§7) and refuses it as a bearer token (§7.1).
 */
import * as oidc from 'openid-client';
import { describeError } from '../context';
import { defineModule } from '../module';
import { Failure, Skip, check } from '../result';

export default defineModule({
  name: 'fapi2-dpop',
  plan: 'dpop',
  summary: 'code flow with DPoP proofs: a DPoP-bound access token, userinfo with a proof, refused as Bearer',
  async run(ctx) {
    const metadata = await ctx.metadata();
    const algs = metadata.dpop_signing_alg_values_supported;
    if (!Array.isArray(algs) || !algs.includes('ES256'))
      throw new Skip('discovery lists no ES256 in dpop_signing_alg_values_supported');
    if (typeof metadata.userinfo_endpoint !== 'string') throw new Skip('discovery has no userinfo_endpoint');
    const client = ctx.options.client;
    const rp = await ctx.rp(client);
    const dpop = oidc.getDPoPHandle(rp, await oidc.randomDPoPKeyPair('ES256'));
    const request = await ctx.request({}, { client, pkce: true });
    const outcome = await ctx.person().authorize(request.url.toString());
    if (outcome.kind !== 'callback')
      throw new Failure(
        `the authorization request ended on a page (${outcome.page.status} ${outcome.page.url})`,
      );
    let tokens;
    try {
      tokens = await oidc.authorizationCodeGrant(
        request.rp,
        outcome.url,
        {
          expectedState: request.state,
          ...(request.nonce ? { expectedNonce: request.nonce } : {}),
          ...(request.codeVerifier ? { pkceCodeVerifier: request.codeVerifier } : {}),
          idTokenExpected: true,
        },
        undefined,
        { DPoP: dpop },
      );
    } catch (err) {
      throw new Failure(`code exchange with a DPoP proof failed: ${describeError(err)}`);
    }
    check(tokens.token_type === 'dpop', `the token_type is ${tokens.token_type}, not DPoP`);
    const sub = tokens.claims()?.sub ?? oidc.skipSubjectCheck;
    try {
      await oidc.fetchUserInfo(request.rp, tokens.access_token, sub, { DPoP: dpop });
    } catch (err) {
      throw new Failure(`userinfo refused the DPoP token with its proof: ${describeError(err)}`);
    }
    const bearer = await ctx.raw(metadata.userinfo_endpoint, {
      headers: { authorization: `Bearer ${tokens.access_token}`, accept: 'application/json' },
    });
    check(
      bearer.status === 401,
      `userinfo answered ${bearer.status} to the DPoP-bound token as Bearer, not 401`,
    );
  },
});
