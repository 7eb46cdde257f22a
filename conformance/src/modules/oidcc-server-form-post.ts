/**
 * The Form Post OP plan's oidcc-server (OAuth 2.0 Form Post Response Mode §2): the authorization
 * response is a page whose form posts code and state to the client; the battery reads the form with
 * the HTML parser (never submitting it) and hands openid-client the POST the browser would send.
 */
import { defineModule } from '../module';
import { happyFlow, registerFor, requireSupport } from '../steps/flows';

export default defineModule({
  name: 'oidcc-server-form-post',
  plan: 'formpost',
  summary: 'code flow with response_mode=form_post: the code posted by the page, redeemed by openid-client',
  async run(ctx) {
    await requireSupport(ctx, 'code', 'form_post');
    const { client, redirectUri } = await registerFor(ctx, ['code']);
    await happyFlow(ctx, client, redirectUri, 'code', 'form_post');
  },
});
