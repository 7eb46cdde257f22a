/**
 * Resource indicators (RFC 8707) and JWT access tokens (RFC 9068): a code flow that names a
 * registered API with `resource` in the authorization request (§2.1) and in the token request
 * (§2.2) gets an access token for it, and that token is a JWT checked as a resource server checks
 * it (RFC 9068 §4): `typ` at+jwt (§2.1), signed with an asymmetric algorithm by a key of the JWKS,
 * iss the issuer, aud the resource, the claims of §2.2 (iss, exp, aud, sub, client_id, iat, jti),
 * client_id the client's, sub the ID token's, exp in the future. The API comes from --resource
 * (https://api.example.com unless given); SKIPPED when the OP does not know it (invalid_target) or
 * issues no JWT for it.
 */
import * as oidc from 'openid-client';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { describeError } from '../context';
import { defineModule } from '../module';
import { Failure, Skip, check } from '../result';

export const DEFAULT_RESOURCE = 'https://api.example.com';

/** RFC 9068 §2.2: what every JWT access token carries. */
const REQUIRED_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'] as const;

export default defineModule({
  name: 'resource-indicators-jwt-access-token',
  plan: 'resource',
  summary:
    'resource= in the authorization and token requests gives an RFC 9068 JWT access token for that ' +
    'audience, verified against the JWKS',
  async run(ctx) {
    const resource = ctx.options.resource ?? DEFAULT_RESOURCE;
    const { metadata, jwks } = await ctx.shared.discovery();
    const person = ctx.person();
    const { outcome, response, request } = await ctx.authorizationResponse(person, {
      scope: 'openid',
      resource,
    });
    const error = response?.params.get('error');
    if (error === 'invalid_target')
      throw new Skip(
        `the OP does not know the resource ${resource} (invalid_target): register it, or pass --resource`,
      );
    if (error)
      throw new Failure(`the OP answered ${error} to an authorization request with resource=${resource}`);
    if (!response)
      throw new Failure('the authorization request with a resource ended on a page, not at the client');
    const callback = outcome.kind === 'callback' ? outcome.url : response.target;

    let tokens;
    try {
      tokens = await oidc.authorizationCodeGrant(
        request.rp,
        callback,
        {
          expectedState: request.state,
          ...(request.nonce ? { expectedNonce: request.nonce } : {}),
          idTokenExpected: true,
        },
        { resource },
      );
    } catch (err) {
      throw new Failure(`code exchange with resource=${resource} failed: ${describeError(err)}`);
    }
    ctx.checkTokenResponse(request.rp, tokens);
    const value = tokens.access_token;
    if (value.split('.').length !== 3)
      throw new Skip(`the OP issued an opaque access token for ${resource} (its format is not jwt)`);

    let header;
    try {
      header = decodeProtectedHeader(value);
    } catch {
      throw new Failure('the access token looks like a JWT but its header does not decode');
    }
    // RFC 9068 §2.1: typ "at+jwt" (or "application/at+jwt"); never alg none.
    check(
      header.typ === 'at+jwt' || header.typ === 'application/at+jwt',
      `the access token's typ is ${String(header.typ)}, not at+jwt (RFC 9068 §2.1)`,
    );
    check(
      header.alg && header.alg !== 'none' && !header.alg.startsWith('HS'),
      `the access token is signed with ${String(header.alg)}`,
    );

    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(
        value,
        createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]),
        {
          typ: 'at+jwt',
          issuer: metadata.issuer,
          audience: resource,
          requiredClaims: [...REQUIRED_CLAIMS],
        },
      ));
    } catch (err) {
      throw new Failure(
        `the JWT access token does not verify against the JWKS (RFC 9068 §4): ${describeError(err)}`,
      );
    }
    check(
      claims.client_id === ctx.options.client.id,
      `client_id is ${String(claims.client_id)}, not ${ctx.options.client.id}`,
    );
    const idToken = tokens.claims();
    check(idToken && claims.sub === idToken.sub, "the access token's sub is not the ID token's");
    check(typeof claims.jti === 'string' && claims.jti.length > 0, 'jti is empty');
    check(claims.exp! > claims.iat!, 'exp is not after iat');
    if (claims.scope !== undefined)
      check(typeof claims.scope === 'string', 'scope is not a space-separated string (RFC 9068 §2.2.3)');
  },
});
