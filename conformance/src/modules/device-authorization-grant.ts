/**
 * The device authorization grant (RFC 8628), which the suite has no OP plan for: a public client
 * registered for the grant starts it (§3.1, §3.2), a poll before the person acts answers
 * authorization_pending (§3.5), the person enters the user code at the verification URI (§3.3),
 * confirms, signs in and allows, then the poll gets tokens with a valid ID token, and the spent device
 * code fails with invalid_grant.
 */
import * as oidc from 'openid-client';
import { describeError } from '../context';
import { formsOf, textOf } from '../html';
import { defineModule } from '../module';
import { Failure, Skip, check } from '../result';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** The OAuth error of a failed request (openid-client's ResponseBodyError), or why it failed. */
async function errorOf(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
    return undefined;
  } catch (err) {
    return (err as { error?: string }).error ?? describeError(err);
  }
}

export default defineModule({
  name: 'device-authorization-grant',
  plan: 'device',
  summary: 'a device starts the grant, the person enters the code and allows, the poll gets tokens once',
  async run(ctx) {
    const metadata = await ctx.metadata();
    if (typeof metadata.device_authorization_endpoint !== 'string')
      throw new Skip('discovery has no device_authorization_endpoint');
    const grants = metadata.grant_types_supported;
    if (Array.isArray(grants) && !grants.includes(DEVICE_CODE_GRANT))
      throw new Skip('grant_types_supported does not list the device code grant');

    // A device is a public client without redirect URIs (RFC 8628 §3.1, RFC 8252 §8.4).
    const registered = await ctx.registerClient({
      client_name: 'Gatehouse conformance battery (device)',
      grant_types: [DEVICE_CODE_GRANT],
      response_types: [],
      redirect_uris: [],
      post_logout_redirect_uris: [],
      token_endpoint_auth_method: 'none',
    });
    const client = ctx.asClient(registered);
    const rp = await ctx.rp(client, 'none');

    let started: oidc.DeviceAuthorizationResponse;
    try {
      started = await oidc.initiateDeviceAuthorization(rp, { scope: 'openid' });
    } catch (err) {
      throw new Failure(`the device authorization request failed: ${describeError(err)}`);
    }
    check(started.expires_in > 0, 'the device authorization response has no positive expires_in (§3.2)');

    const poll = () => oidc.genericGrantRequest(rp, DEVICE_CODE_GRANT, { device_code: started.device_code });
    const pending = await errorOf(poll());
    check(
      pending === 'authorization_pending',
      `a poll before the person acted answered ${pending ?? 'tokens'}, expected authorization_pending`,
    );

    const person = ctx.person();
    const entry = await person.open(started.verification_uri);
    if (entry.kind !== 'page')
      throw new Failure(`the verification URI redirected to ${entry.url.toString()}`);
    check(entry.page.status === 200, `the verification URI answered ${entry.page.status}`);
    const form = formsOf(entry.page).find((f) => f.inputs.some((i) => i.name === 'user_code'));
    if (!form) throw new Failure('the verification URI has no form with a user_code field');
    const confirmation = await person.browser.submit(form, { user_code: started.user_code });
    if (confirmation.kind === 'page') person.record(confirmation.page);
    const done = await person.proceed(confirmation);
    if (done.kind !== 'page')
      throw new Failure(`the device flow ended in a redirect to ${done.url.toString()}`);
    check(
      done.page.status === 200,
      `the device flow ended with ${done.page.status}: ${textOf(done.page).slice(0, 200)}`,
    );

    let response;
    try {
      response = await oidc.pollDeviceAuthorizationGrant(rp, started);
    } catch (err) {
      throw new Failure(`polling after the person allowed failed: ${describeError(err)}`);
    }
    ctx.checkTokenResponse(rp, response);
    await ctx.tokens({ client, nonce: undefined }, response);

    const reused = await errorOf(poll());
    check(
      reused === 'invalid_grant',
      `the spent device code answered ${reused ?? 'tokens'}, expected invalid_grant`,
    );
  },
});
