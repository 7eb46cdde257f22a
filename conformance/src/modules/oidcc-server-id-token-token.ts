/**
 * The Implicit OP plan's oidcc-server for response_type="id_token token" (OpenID Connect Core
 * §3.2): ID token and access token in the fragment; at_hash is REQUIRED and matches the access
 * token (§3.2.2.10); UserInfo with that token names the ID token's subject.
 */
import { defineModule } from '../module';
import { happyFlow, registerFor, requireSupport } from '../steps/flows';

export default defineModule({
  name: 'oidcc-server-id-token-token',
  plan: 'implicit',
  summary:
    'implicit flow, response_type id_token token: at_hash, token_type Bearer, UserInfo for the same sub',
  async run(ctx) {
    await requireSupport(ctx, 'id_token token');
    const { client, redirectUri } = await registerFor(ctx, ['id_token token']);
    await happyFlow(ctx, client, redirectUri, 'id_token token');
  },
});
