/**
 * The Hybrid OP plan's oidcc-server for response_type="code id_token" (OpenID Connect Core §3.3):
 * the front-channel ID token's c_hash matches the code (§3.3.2.11; openid-client's hybrid
 * validation too), the code is exchanged, and both ID tokens name the same iss and sub (§3.3.3.6).
 */
import { defineModule } from '../module';
import { happyFlow, registerFor, requireSupport } from '../steps/flows';

export default defineModule({
  name: 'oidcc-server-code-id-token',
  plan: 'hybrid',
  summary: 'hybrid flow, code id_token: c_hash, then the code exchange and the same sub in both ID tokens',
  async run(ctx) {
    await requireSupport(ctx, 'code id_token');
    const { client, redirectUri } = await registerFor(ctx, ['code id_token']);
    await happyFlow(ctx, client, redirectUri, 'code id_token');
  },
});
