/**
 * Pushed authorization requests (RFC 9126), as the suite's FAPI 2.0 plans use them (fapi2-par): the
 * demo client pushes its request with openid-client (buildAuthorizationUrlWithPAR), only client_id
 * and request_uri go through the browser, the code is redeemed; the request_uri is then used up (§4).
 */
import * as oidc from 'openid-client';
import { describeError } from '../context';
import { defineModule } from '../module';
import { Failure, Skip, check } from '../result';

export default defineModule({
  name: 'fapi2-par',
  plan: 'par',
  summary: 'a pushed request (RFC 9126) signs in and redeems; its request_uri works once',
  async run(ctx) {
    const metadata = await ctx.metadata();
    if (typeof metadata.pushed_authorization_request_endpoint !== 'string')
      throw new Skip('discovery has no pushed_authorization_request_endpoint');
    const client = ctx.options.client;
    const rp = await ctx.rp(client);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    let url: URL;
    try {
      url = await oidc.buildAuthorizationUrlWithPAR(rp, {
        redirect_uri: ctx.options.redirectUri,
        scope: 'openid',
        state,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
    } catch (err) {
      throw new Failure(`the pushed authorization request failed: ${describeError(err)}`);
    }
    check(
      url.searchParams.get('request_uri')?.startsWith('urn:ietf:params:oauth:request_uri:'),
      'the pushed request answered no urn:ietf:params:oauth:request_uri: request_uri',
    );
    const person = ctx.person();
    const outcome = await person.authorize(url.toString());
    if (outcome.kind !== 'callback')
      throw new Failure(`the pushed request ended on a page (${outcome.page.status} ${outcome.page.url})`);
    const error = outcome.url.searchParams.get('error');
    if (error)
      throw new Failure(`the OP answered ${error}: ${outcome.url.searchParams.get('error_description')}`);
    try {
      await oidc.authorizationCodeGrant(rp, outcome.url, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw new Failure(`code exchange failed: ${describeError(err)}`);
    }
    // RFC 9126 §4: "the authorization server SHOULD treat a request_uri as one-time use".
    const again = await person.authorize(url.toString());
    const code = again.kind === 'callback' ? again.url.searchParams.get('code') : null;
    check(!code, 'the request_uri was accepted a second time');
  },
});
