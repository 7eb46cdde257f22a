/**
 * Not a module of the suite: an OP that takes initial access tokens (RFC 7591 §3: the endpoint
 * "MAY be protected", and the battery was given one) refuses a registration without one, or with a
 * token it never issued (401 invalid_token, RFC 6750 §3.1). An OP that registers anyone is open by
 * configuration: a warning.
 */
import { defineModule } from '../module';
import { Skip, check } from '../result';

export default defineModule({
  name: 'client-registration-requires-token',
  plan: 'dynamic',
  summary: 'a registration without, or with a forged, initial access token: 401 invalid_token',
  async run(ctx) {
    const metadata = await ctx.metadata();
    const endpoint = metadata.registration_endpoint;
    if (typeof endpoint !== 'string')
      throw new Skip('no registration endpoint (discovery has no registration_endpoint)');
    if (!ctx.options.registrationToken)
      throw new Skip('no --registration-token (an initial access token) given');
    const body = JSON.stringify(ctx.clientDefaults());
    for (const authorization of [undefined, 'Bearer not-an-initial-access-token']) {
      const res = await ctx.raw(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body,
      });
      const answer = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      const what = authorization ? 'a forged initial access token' : 'no initial access token';
      if (res.status === 201) {
        ctx.warn(`the OP registered a client with ${what}: registration is open`);
        if (
          typeof answer.registration_client_uri === 'string' &&
          typeof answer.registration_access_token === 'string'
        )
          await ctx.manageClient(
            {
              registrationClientUri: answer.registration_client_uri,
              registrationAccessToken: answer.registration_access_token,
            } as never,
            'DELETE',
          );
        return;
      }
      check(res.status === 401 || res.status === 400, `a registration with ${what} answered ${res.status}`);
      check(
        answer.error === 'invalid_token' || answer.error === 'invalid_request',
        `a registration with ${what} answered error ${String(answer.error)}, expected invalid_token`,
      );
    }
  },
});
