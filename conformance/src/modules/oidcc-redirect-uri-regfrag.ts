/**
 * The Dynamic OP plan's oidcc-redirect-uri-regfrag: a redirect URI with a fragment is refused at
 * registration (RFC 6749 §3.1.2 "MUST NOT include a fragment component"; RFC 7591 §3.2.2
 * invalid_redirect_uri, or invalid_client_metadata).
 */
import { defineModule } from '../module';
import { check } from '../result';

export default defineModule({
  name: 'oidcc-redirect-uri-regfrag',
  plan: 'dynamic',
  summary: 'registering a redirect URI with a fragment: refused with invalid_redirect_uri',
  async run(ctx) {
    const uri = `${ctx.options.redirectUri.replace(/#.*$/, '')}#fragment`;
    const answer = await ctx.registrationRequest({ ...ctx.clientDefaults(), redirect_uris: [uri] });
    check(answer.status !== 201, 'the OP registered a redirect URI with a fragment');
    check(answer.status === 400, `the OP answered ${answer.status}, not 400 (RFC 7591 §3.2.2)`);
    const error = String(answer.body.error);
    check(
      error === 'invalid_redirect_uri' || error === 'invalid_client_metadata',
      `error ${error}, expected invalid_redirect_uri`,
    );
    if (error !== 'invalid_redirect_uri') ctx.warn(`error ${error} where invalid_redirect_uri was expected`);
  },
});
