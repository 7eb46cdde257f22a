/**
 * The Form Post OP plan's implicit variant: response_type="id_token token" posted by the page
 * (OAuth 2.0 Form Post Response Mode §2) instead of the fragment; at_hash, UserInfo.
 */
import { defineModule } from '../module';
import { happyFlow, registerFor, requireSupport } from '../steps/flows';

export default defineModule({
  name: 'oidcc-server-form-post-id-token-token',
  plan: 'formpost',
  summary: 'implicit flow id_token token with response_mode=form_post: at_hash, UserInfo',
  async run(ctx) {
    await requireSupport(ctx, 'id_token token', 'form_post');
    const { client, redirectUri } = await registerFor(ctx, ['id_token token']);
    await happyFlow(ctx, client, redirectUri, 'id_token token', 'form_post');
  },
});
