/**
 * The Hybrid OP plan's oidcc-server for response_type="code id_token token" (OpenID Connect Core
 * §3.3): c_hash and at_hash are both REQUIRED in the front-channel ID token (§3.3.2.11) and match
 * the code and the access token; then the code exchange and the same iss and sub (§3.3.3.6).
 */
import { defineModule } from '../module';
import { happyFlow, registerFor, requireSupport } from '../steps/flows';

export default defineModule({
  name: 'oidcc-server-code-id-token-token',
  plan: 'hybrid',
  summary:
    'hybrid flow, code id_token token: c_hash and at_hash, the exchange, the same sub in both ID tokens',
  async run(ctx) {
    await requireSupport(ctx, 'code id_token token');
    const { client, redirectUri } = await registerFor(ctx, ['code id_token token']);
    await happyFlow(ctx, client, redirectUri, 'code id_token token');
  },
});
