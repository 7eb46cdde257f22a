/**
 * The Hybrid OP plan's oidcc-server for response_type="code token" (OpenID Connect Core §3.3):
 * an access token (token_type Bearer) and a code in the fragment, no ID token there; the code
 * exchange gives the ID token.
 */
import { defineModule } from '../module';
import { happyFlow, registerFor, requireSupport } from '../steps/flows';

export default defineModule({
  name: 'oidcc-server-code-token',
  plan: 'hybrid',
  summary: 'hybrid flow, code token: front-channel access token and code, the exchange, UserInfo',
  async run(ctx) {
    await requireSupport(ctx, 'code token');
    const { client, redirectUri } = await registerFor(ctx, ['code token']);
    await happyFlow(ctx, client, redirectUri, 'code token');
  },
});
