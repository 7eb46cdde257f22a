/**
 * The Implicit OP plan's oidcc-server for response_type=id_token (OpenID Connect Core §3.2): the
 * ID token arrives in the fragment with the nonce sent; openid-client validates it, then the suite's
 * ID token checks. A client registered for the flow (https redirect URI, grant type implicit).
 */
import { defineModule } from '../module';
import { happyFlow, registerFor, requireSupport } from '../steps/flows';

export default defineModule({
  name: 'oidcc-server-id-token',
  plan: 'implicit',
  summary:
    'implicit flow, response_type id_token: nonce, the ID token checks, validated by openid-client too',
  async run(ctx) {
    await requireSupport(ctx, 'id_token');
    const { client, redirectUri } = await registerFor(ctx, ['id_token']);
    await happyFlow(ctx, client, redirectUri, 'id_token');
  },
});
