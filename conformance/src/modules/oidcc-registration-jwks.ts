/**
 * The Dynamic OP plan's oidcc-registration-jwks: a client registers its public key in `jwks` with
 * token_endpoint_auth_method private_key_jwt (OpenID Connect Core §9, RFC 7523 §2.2) and redeems its
 * code with an assertion signed by the private key (openid-client's PrivateKeyJwt).
 */
import { exportJWK, generateKeyPair } from 'jose';
import { defineModule } from '../module';
import { Skip, check } from '../result';
import { happyFlow } from '../steps/flows';

export default defineModule({
  name: 'oidcc-registration-jwks',
  plan: 'dynamic',
  summary: 'a client registered with jwks and private_key_jwt: the code redeemed with a signed assertion',
  async run(ctx) {
    const methods = (await ctx.metadata()).token_endpoint_auth_methods_supported;
    if (Array.isArray(methods) && !methods.includes('private_key_jwt'))
      throw new Skip('token_endpoint_auth_methods_supported does not list private_key_jwt');
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = `battery-${Date.now()}`;
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    const registered = await ctx.registerClient({
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [jwk] },
    });
    check(
      registered.metadata.token_endpoint_auth_method === 'private_key_jwt',
      'the registration response does not echo token_endpoint_auth_method private_key_jwt',
    );
    check(!registered.secret, 'a private_key_jwt client was given a client_secret');
    await happyFlow(ctx, ctx.asClient(registered, { key: privateKey, kid }), ctx.options.redirectUri, 'code');
  },
});
