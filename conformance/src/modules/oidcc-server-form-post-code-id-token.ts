/**
 * The Form Post OP plan's hybrid variant: response_type="code id_token" posted by the page
 * (OAuth 2.0 Form Post Response Mode §2) instead of the fragment; c_hash, the exchange, the same sub.
 */
import { defineModule } from '../module';
import { happyFlow, registerFor, requireSupport } from '../steps/flows';

export default defineModule({
  name: 'oidcc-server-form-post-code-id-token',
  plan: 'formpost',
  summary: 'hybrid flow code id_token with response_mode=form_post: c_hash, the exchange',
  async run(ctx) {
    await requireSupport(ctx, 'code id_token', 'form_post');
    const { client, redirectUri } = await registerFor(ctx, ['code id_token']);
    await happyFlow(ctx, client, redirectUri, 'code id_token', 'form_post');
  },
});
