/**
 * The flows the Dynamic OP, Form Post, Implicit and Hybrid plans share: a client registered for the
 * response types a module runs (RFC 7591), and the happy flow for any response type and mode, with
 * the checks of OpenID Connect Core §3.1 (code), §3.2 (implicit) and §3.3 (hybrid).
 */
import * as oidc from 'openid-client';
import type { ClientCredentials, Flow, ModuleContext, Tokens } from '../context';
import { describeError } from '../context';
import type { IdTokenClaims } from '../id-token';
import type { Person } from '../person';
import type { RegisteredClient } from '../registration';
import { Failure, Skip, check } from '../result';

/**
 * The redirect URI a client doing implicit or hybrid flows registers. The library behind most OPs
 * (and the suite's own clients) registers only https URIs off localhost for them (OpenID Connect
 * Core §3.2.2.1 "MUST NOT use the http scheme ... unless ... localhost" is stricter in practice):
 * the battery's --redirect-uri when it qualifies, else one under example.com (RFC 2606), which the
 * battery never visits: it reads responses from the Location header or the form_post page.
 */
export function frontChannelRedirectUri(ctx: ModuleContext): string {
  const configured = new URL(ctx.options.redirectUri);
  if (configured.protocol === 'https:' && !['localhost', '127.0.0.1', '[::1]'].includes(configured.hostname))
    return ctx.options.redirectUri;
  return 'https://rp.example.com/callback';
}

/** The grant types a set of response types needs (OpenID Connect Dynamic Client Registration §2). */
export function grantTypesFor(responseTypes: string[]): string[] {
  const parts = new Set(responseTypes.flatMap((t) => t.split(' ')));
  return [
    ...(parts.has('code') ? ['authorization_code'] : []),
    ...(parts.has('token') || parts.has('id_token') ? ['implicit'] : []),
  ];
}

/** Skips when discovery does not offer the response type or mode (what the suite does). */
export async function requireSupport(
  ctx: ModuleContext,
  responseType: string,
  responseMode?: string,
): Promise<void> {
  const metadata = await ctx.metadata();
  const normal = (t: string) => t.split(' ').sort().join(' ');
  const types = Array.isArray(metadata.response_types_supported)
    ? (metadata.response_types_supported as string[]).map(normal)
    : [];
  if (!types.includes(normal(responseType)))
    throw new Skip(`response_types_supported does not list ${responseType}`);
  if (responseMode) {
    const modes = metadata.response_modes_supported;
    if (Array.isArray(modes) && !modes.includes(responseMode))
      throw new Skip(`response_modes_supported does not list ${responseMode}`);
  }
}

/** Every response type but none (OpenID Connect Core §3, OAuth 2.0 Multiple Response Types §5). */
export const FRONT_CHANNEL_TYPES = [
  'code',
  'id_token',
  'id_token token',
  'code id_token',
  'code token',
  'code id_token token',
];

/**
 * A client for `responseTypes`, shared by the modules of the run that need one of the kind (see
 * ModuleContext.sharedClient): the code flow's runs with the battery's redirect URI; any flow with
 * a token or an ID token from the authorization endpoint uses one client registered for every
 * response type, with https URIs (frontChannelRedirectUri) for its redirect and post-logout URIs.
 */
export async function registerFor(
  ctx: ModuleContext,
  responseTypes: string[],
): Promise<{ registered: RegisteredClient; client: ClientCredentials; redirectUri: string }> {
  const front = responseTypes.some((t) => t.includes('token'));
  const redirectUri = front ? frontChannelRedirectUri(ctx) : ctx.options.redirectUri;
  const registered = front
    ? await ctx.sharedClient({
        redirect_uris: [redirectUri],
        post_logout_redirect_uris: [new URL('/logged-out', redirectUri).toString()],
        response_types: FRONT_CHANNEL_TYPES,
        grant_types: grantTypesFor(FRONT_CHANNEL_TYPES),
      })
    : await ctx.sharedClient();
  return { registered, client: ctx.asClient(registered), redirectUri };
}

export interface HappyFlow {
  person: Person;
  flow: Flow;
  claims: IdTokenClaims;
  accessToken?: string;
  tokens?: Tokens;
}

/**
 * Signs in with `client` for `responseType` (and `responseMode`), then: the code exchange (code
 * and hybrid), the front channel's ID token and access token checks (implicit and hybrid), and
 * UserInfo with the access token, for the same subject as the ID token (Core §5.3.2).
 */
export async function happyFlow(
  ctx: ModuleContext,
  client: ClientCredentials,
  redirectUri: string,
  responseType: string,
  responseMode?: 'form_post',
): Promise<HappyFlow> {
  const person = ctx.person();
  const flow = await ctx.authorize(
    person,
    { response_type: responseType, redirect_uri: redirectUri },
    { client, ...(responseMode ? { responseMode } : {}) },
  );
  check(person.logins === 1, 'the person was not asked to sign in');
  let result: HappyFlow;
  if (responseType.split(' ').includes('code')) {
    const tokens = await ctx.redeem(flow);
    result = { person, flow, claims: tokens.claims, accessToken: tokens.accessToken, tokens };
  } else {
    const front = await ctx.frontChannel(flow);
    check(front.claims, 'the implicit response carries no ID token');
    if (responseType === 'id_token') await implicitByLibrary(flow);
    result = {
      person,
      flow,
      claims: front.claims,
      ...(front.accessToken ? { accessToken: front.accessToken } : {}),
    };
  }
  if (result.accessToken) {
    let userinfo;
    try {
      userinfo = await oidc.fetchUserInfo(flow.rp, result.accessToken, result.claims.sub);
    } catch (err) {
      throw new Failure(`userinfo with the access token failed: ${describeError(err)}`);
    }
    check(userinfo.sub === result.claims.sub, 'userinfo sub is not the ID token sub');
  }
  return result;
}

/** openid-client's own implicit flow validation (response_type=id_token, the only one it supports). */
async function implicitByLibrary(flow: Flow): Promise<void> {
  const current =
    flow.mode === 'form_post'
      ? new Request(flow.callback, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: (flow.response ?? new URLSearchParams()).toString(),
        })
      : flow.callback;
  try {
    await oidc.implicitAuthentication(flow.rp, current, flow.nonce!, { expectedState: flow.state });
  } catch (err) {
    throw new Failure(`openid-client refused the implicit response: ${describeError(err)}`);
  }
}

/**
 * A request the OP must refuse: an error redirect to the client (in the response mode the request
 * asked for) or an error page. Returns the error code, '' for a page.
 */
export async function refusal(
  ctx: ModuleContext,
  params: Record<string, string>,
  options: { client: ClientCredentials; nonce?: boolean },
): Promise<{ error: string; page: boolean }> {
  const person = ctx.person();
  const { request, outcome, response } = await ctx.authorizationResponse(person, params, options);
  if (response) {
    const error = response.params.get('error');
    check(error, `the OP answered without an error (${[...response.params.keys()].join(', ')})`);
    for (const name of ['code', 'id_token', 'access_token'])
      check(!response.params.get(name), `the error response carries a ${name}`);
    check(response.params.get('state') === request.state, 'the error response does not echo state');
    return { error, page: false };
  }
  check(outcome.kind === 'page', 'the OP neither redirected nor showed a page');
  const kind = person.seen[person.seen.length - 1]?.kind;
  check(kind !== 'login' && kind !== 'consent', `the OP went on to the ${kind} page`);
  check(outcome.page.status >= 400, `the OP answered ${outcome.page.status} instead of an error`);
  return { error: '', page: true };
}
