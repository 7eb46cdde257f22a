/**
 * OpenID Connect Discovery 1.0 §3/§4 as the suite's config plan checks it: JSON at
 * /.well-known/openid-configuration, issuer equal to the URL it was fetched from, https endpoints,
 * and the metadata a Basic/Config OP must publish.
 */
import { defineModule } from '../module';
import { check } from '../result';

const ENDPOINTS = [
  'authorization_endpoint',
  'token_endpoint',
  'userinfo_endpoint',
  'jwks_uri',
  'registration_endpoint',
  'end_session_endpoint',
  'revocation_endpoint',
  'introspection_endpoint',
  'pushed_authorization_request_endpoint',
];

function list(value: unknown, name: string): string[] {
  check(
    Array.isArray(value) && value.every((v) => typeof v === 'string'),
    `${name} is not an array of strings`,
  );
  return value as string[];
}

export default defineModule({
  name: 'oidcc-discovery-endpoint-verification',
  plan: 'config',
  summary: 'the discovery document: issuer, https endpoints, and the metadata a certified OP publishes',
  async run(ctx) {
    const metadata = await ctx.metadata();
    const issuer = ctx.options.issuer.replace(/\/$/, '');
    // Discovery §4.3: the issuer in the document is exactly the URL the document was fetched for.
    check(metadata.issuer === issuer, `issuer ${String(metadata.issuer)} is not ${issuer}`);
    check(typeof metadata.authorization_endpoint === 'string', 'no authorization_endpoint');
    check(typeof metadata.token_endpoint === 'string', 'no token_endpoint (required unless implicit only)');
    check(typeof metadata.jwks_uri === 'string', 'no jwks_uri');
    if (typeof metadata.userinfo_endpoint !== 'string') ctx.warn('no userinfo_endpoint (recommended)');
    const plain: string[] = [];
    for (const name of ENDPOINTS) {
      const value = metadata[name];
      if (value === undefined) continue;
      check(typeof value === 'string' && URL.canParse(value), `${name} is not a URL`);
      if (new URL(value).protocol !== 'https:') plain.push(name);
    }
    if (plain.length) {
      // https is required; an http issuer is allowed in development only, hence a warning.
      if (new URL(issuer).protocol === 'https:')
        check(false, `${plain.join(', ')} not https on an https issuer`);
      ctx.warn(`http issuer: ${plain.length} endpoints are not https (acceptable in development only)`);
    }

    const responseTypes = list(metadata.response_types_supported, 'response_types_supported');
    check(responseTypes.includes('code'), 'response_types_supported does not include code');
    const subjectTypes = list(metadata.subject_types_supported, 'subject_types_supported');
    check(
      subjectTypes.every((t) => t === 'public' || t === 'pairwise') && subjectTypes.length > 0,
      'subject_types_supported must list public and/or pairwise',
    );
    const algs = list(
      metadata.id_token_signing_alg_values_supported,
      'id_token_signing_alg_values_supported',
    );
    check(algs.includes('RS256'), 'id_token_signing_alg_values_supported does not include RS256');
    check(
      !algs.includes('none') || responseTypes.every((t) => t === 'code'),
      'alg none offered with the implicit or hybrid flows',
    );
    const scopes = list(metadata.scopes_supported, 'scopes_supported');
    check(scopes.includes('openid'), 'scopes_supported does not include openid');
    list(metadata.claims_supported, 'claims_supported');
    const grants = list(
      metadata.grant_types_supported ?? ['authorization_code', 'implicit'],
      'grant_types_supported',
    );
    check(grants.includes('authorization_code'), 'grant_types_supported does not include authorization_code');
    const pkce = list(metadata.code_challenge_methods_supported, 'code_challenge_methods_supported');
    check(pkce.includes('S256'), 'code_challenge_methods_supported does not include S256');
    check(!pkce.includes('plain'), 'code_challenge_methods_supported offers plain');
    const auth = list(
      metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'],
      'token_endpoint_auth_methods_supported',
    );
    const selected = ['client_secret_basic', ...(ctx.options.postClient ? ['client_secret_post'] : [])];
    for (const method of selected)
      check(auth.includes(method), `token_endpoint_auth_methods_supported does not list ${method}`);
    if (metadata.response_modes_supported !== undefined) {
      const modes = list(metadata.response_modes_supported, 'response_modes_supported');
      check(
        modes.includes('query') && modes.includes('fragment'),
        'response_modes_supported lacks query or fragment',
      );
    }
    if (metadata.claims_parameter_supported !== undefined)
      check(
        typeof metadata.claims_parameter_supported === 'boolean',
        'claims_parameter_supported is not a boolean',
      );
  },
});
