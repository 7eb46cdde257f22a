/** The happy flow with a client authenticating with client_secret_post (OpenID Connect Core §9). */
import { defineModule } from '../module';
import { Skip } from '../result';

export default defineModule({
  name: 'oidcc-server-client-secret-post',
  plan: 'basic',
  summary: 'code flow with a client_secret_post client',
  async run(ctx) {
    const methods = (await ctx.metadata()).token_endpoint_auth_methods_supported;
    if (Array.isArray(methods) && !methods.includes('client_secret_post'))
      throw new Skip('token_endpoint_auth_methods_supported does not list client_secret_post');
    const client = ctx.options.postClient;
    if (!client)
      throw new Skip('no client_secret_post client given (--post-client-id, --post-client-secret)');
    await ctx.signIn({}, { client, auth: 'post' });
  },
});
