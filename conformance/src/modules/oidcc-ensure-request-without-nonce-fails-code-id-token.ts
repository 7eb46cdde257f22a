/**
 * The suite's oidcc-ensure-request-without-nonce-fails for response_type="code id_token": nonce is REQUIRED
 * when an ID token comes from the authorization endpoint (OpenID Connect Core §3.2.2.1,
 * §3.3.2.11). The OP refuses with an error redirect (invalid_request) or an error page.
 */
import { defineModule } from '../module';
import { check } from '../result';
import { refusal, registerFor, requireSupport } from '../steps/flows';

export default defineModule({
  name: 'oidcc-ensure-request-without-nonce-fails-code-id-token',
  plan: 'hybrid',
  summary: 'response_type code id_token without a nonce: refused (invalid_request), no ID token',
  async run(ctx) {
    await requireSupport(ctx, 'code id_token');
    const { client, redirectUri } = await registerFor(ctx, ['code id_token']);
    const { error, page } = await refusal(
      ctx,
      { response_type: 'code id_token', redirect_uri: redirectUri },
      { client, nonce: false },
    );
    if (!page) check(error === 'invalid_request', `error ${error}, expected invalid_request`);
  },
});
