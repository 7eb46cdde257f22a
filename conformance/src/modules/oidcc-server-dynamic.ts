/**
 * The Dynamic OP plan's oidcc-server: a client registered a moment ago (RFC 7591 §3.1, with the
 * battery's initial access token) runs the code flow with client_secret_basic, every ID token check,
 * and UserInfo. The client is the run's shared code-flow client (registered here first, and used
 * again by the modules that need a client of the kind). Named with the plan as a suffix: the Basic OP plan's oidcc-server runs as well.
 */
import { defineModule } from '../module';
import { check } from '../result';
import { happyFlow } from '../steps/flows';

export default defineModule({
  name: 'oidcc-server-dynamic',
  plan: 'dynamic',
  summary: 'a freshly registered client: the code flow, the ID token checks, UserInfo',
  async run(ctx) {
    const registered = await ctx.sharedClient();
    // RFC 7591 §3.2.1: the secret of a client_secret_basic client, and the metadata as registered.
    check(
      registered.secret,
      'the registration response has no client_secret for a client_secret_basic client',
    );
    check(
      registered.metadata.token_endpoint_auth_method === 'client_secret_basic',
      'the registration response does not echo token_endpoint_auth_method client_secret_basic',
    );
    const redirects = registered.metadata.redirect_uris;
    check(
      Array.isArray(redirects) && redirects.includes(ctx.options.redirectUri),
      'the registration response does not echo the redirect_uris',
    );
    await happyFlow(ctx, ctx.asClient(registered), ctx.options.redirectUri, 'code');
  },
});
