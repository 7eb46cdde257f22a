/**
 * The modules in the order of the suite's plans: config (discovery), basic (the Basic OP plan, code
 * flow), logout (the RP-initiated logout plan), dynamic (the Dynamic OP plan: registration), formpost,
 * implicit and hybrid (the Form Post, Implicit and Hybrid OP plans), then the profiles the suite has
 * no OP plan for, or one outside OpenID Connect: backchannel, device, par, dpop, resource,
 * token-exchange.
 *
 * Names: a module keeps the suite's name. Where the suite runs the same module in several plans,
 * with a variant (oidcc-server in every plan), the battery's name adds the variant the plan sets, so
 * names stay unique in a run: -dynamic (a registered client), -form-post (response_mode), or the
 * response type with hyphens (oidcc-server-code-id-token-token). Modules the suite has no
 * counterpart for are named after what they check (client-registration-management).
 */
import type { ConformanceModule } from './module';
import type { Plan } from './result';
import discovery from './modules/oidcc-discovery-endpoint-verification';
import jwks from './modules/oidcc-discovery-jwks-verification';
import server from './modules/oidcc-server';
import responseTypeMissing from './modules/oidcc-response-type-missing';
import userinfoGet from './modules/oidcc-userinfo-get';
import userinfoPostHeader from './modules/oidcc-userinfo-post-header';
import userinfoPostBody from './modules/oidcc-userinfo-post-body';
import withoutNonce from './modules/oidcc-ensure-request-without-nonce-succeeds-for-code-flow';
import scopeProfile from './modules/oidcc-scope-profile';
import scopeEmail from './modules/oidcc-scope-email';
import scopeAddress from './modules/oidcc-scope-address';
import scopePhone from './modules/oidcc-scope-phone';
import scopeAll from './modules/oidcc-scope-all';
import alternateHappyFlow from './modules/oidcc-alternate-happy-flow';
import displayPage from './modules/oidcc-display-page';
import displayPopup from './modules/oidcc-display-popup';
import promptLogin from './modules/oidcc-prompt-login';
import promptNoneNotLoggedIn from './modules/oidcc-prompt-none-not-logged-in';
import promptNoneLoggedIn from './modules/oidcc-prompt-none-logged-in';
import maxAge1 from './modules/oidcc-max-age-1';
import maxAge10000 from './modules/oidcc-max-age-10000';
import unknownParameter from './modules/oidcc-ensure-request-with-unknown-parameter-succeeds';
import idTokenHint from './modules/oidcc-id-token-hint';
import loginHint from './modules/oidcc-login-hint';
import uiLocales from './modules/oidcc-ui-locales';
import claimsLocales from './modules/oidcc-claims-locales';
import acrValues from './modules/oidcc-ensure-request-with-acr-values-succeeds';
import codeReuse from './modules/oidcc-codereuse';
import codeReuse30 from './modules/oidcc-codereuse-30seconds';
import registeredRedirectUri from './modules/oidcc-ensure-registered-redirect-uri';
import postRequest from './modules/oidcc-ensure-post-request-succeeds';
import clientSecretPost from './modules/oidcc-server-client-secret-post';
import unsignedRequestObject from './modules/oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported';
import claimsEssential from './modules/oidcc-claims-essential';
import refreshToken from './modules/oidcc-refresh-token';
import pkce from './modules/oidcc-ensure-request-with-valid-pkce-succeeds';
import logout from './modules/oidcc-rp-initiated-logout';
import logoutBadUri from './modules/oidcc-rp-initiated-logout-bad-post-logout-redirect-uri';
import logoutQueryAdded from './modules/oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri';
import logoutModifiedHint from './modules/oidcc-rp-initiated-logout-modified-id-token-hint';
import logoutForeignHint from './modules/oidcc-rp-initiated-logout-foreign-id-token-hint';
import serverDynamic from './modules/oidcc-server-dynamic';
import registrationLogoUri from './modules/oidcc-registration-logo-uri';
import registrationPolicyUri from './modules/oidcc-registration-policy-uri';
import registrationTosUri from './modules/oidcc-registration-tos-uri';
import registrationJwks from './modules/oidcc-registration-jwks';
import redirectUriQueryOk from './modules/oidcc-redirect-uri-query-OK';
import redirectUriQueryMismatch from './modules/oidcc-redirect-uri-query-mismatch';
import redirectUriQueryAdded from './modules/oidcc-redirect-uri-query-added';
import redirectUriRegfrag from './modules/oidcc-redirect-uri-regfrag';
import redirectUriInRequest from './modules/oidcc-ensure-redirect-uri-in-authorization-request';
import registrationRequiresToken from './modules/client-registration-requires-token';
import registrationManagement from './modules/client-registration-management';
import serverFormPost from './modules/oidcc-server-form-post';
import serverFormPostCodeIdToken from './modules/oidcc-server-form-post-code-id-token';
import serverFormPostIdTokenToken from './modules/oidcc-server-form-post-id-token-token';
import serverIdToken from './modules/oidcc-server-id-token';
import serverIdTokenToken from './modules/oidcc-server-id-token-token';
import withoutNonceIdToken from './modules/oidcc-ensure-request-without-nonce-fails-id-token';
import withoutNonceIdTokenToken from './modules/oidcc-ensure-request-without-nonce-fails-id-token-token';
import serverCodeIdToken from './modules/oidcc-server-code-id-token';
import serverCodeToken from './modules/oidcc-server-code-token';
import serverCodeIdTokenToken from './modules/oidcc-server-code-id-token-token';
import withoutNonceCodeIdToken from './modules/oidcc-ensure-request-without-nonce-fails-code-id-token';
import withoutNonceCodeIdTokenToken from './modules/oidcc-ensure-request-without-nonce-fails-code-id-token-token';
import backchannelLogout from './modules/oidcc-backchannel-rp-initiated-logout';
import deviceAuthorizationGrant from './modules/device-authorization-grant';
import par from './modules/par';
import dpop from './modules/dpop';
import resourceIndicators from './modules/resource-indicators-jwt-access-token';
import tokenExchange from './modules/token-exchange';

export const PLANS: readonly Plan[] = [
  'config',
  'basic',
  'logout',
  'dynamic',
  'formpost',
  'implicit',
  'hybrid',
  'backchannel',
  'device',
  'par',
  'dpop',
  'resource',
  'token-exchange',
];

export const MODULES: readonly ConformanceModule[] = [
  discovery,
  jwks,
  server,
  responseTypeMissing,
  userinfoGet,
  userinfoPostHeader,
  userinfoPostBody,
  withoutNonce,
  scopeProfile,
  scopeEmail,
  scopeAddress,
  scopePhone,
  scopeAll,
  alternateHappyFlow,
  displayPage,
  displayPopup,
  promptLogin,
  promptNoneNotLoggedIn,
  promptNoneLoggedIn,
  maxAge1,
  maxAge10000,
  unknownParameter,
  idTokenHint,
  loginHint,
  uiLocales,
  claimsLocales,
  acrValues,
  codeReuse,
  codeReuse30,
  registeredRedirectUri,
  postRequest,
  clientSecretPost,
  unsignedRequestObject,
  claimsEssential,
  refreshToken,
  pkce,
  logout,
  logoutBadUri,
  logoutQueryAdded,
  logoutModifiedHint,
  logoutForeignHint,
  // Dynamic OP
  serverDynamic,
  registrationLogoUri,
  registrationPolicyUri,
  registrationTosUri,
  registrationJwks,
  redirectUriQueryOk,
  redirectUriQueryMismatch,
  redirectUriQueryAdded,
  redirectUriRegfrag,
  redirectUriInRequest,
  registrationRequiresToken,
  registrationManagement,
  // Form Post
  serverFormPost,
  serverFormPostCodeIdToken,
  serverFormPostIdTokenToken,
  // Implicit
  serverIdToken,
  serverIdTokenToken,
  withoutNonceIdToken,
  withoutNonceIdTokenToken,
  // Hybrid
  serverCodeIdToken,
  serverCodeToken,
  serverCodeIdTokenToken,
  withoutNonceCodeIdToken,
  withoutNonceCodeIdTokenToken,
  // The profiles without an OP plan of the suite (or outside OpenID Connect)
  backchannelLogout,
  deviceAuthorizationGrant,
  par,
  dpop,
  resourceIndicators,
  tokenExchange,
];

/** `all` is every plan. */
export function plansOf(name: string): Plan[] {
  if (name === 'all') return [...PLANS];
  if ((PLANS as readonly string[]).includes(name)) return [name as Plan];
  throw new Error(`unknown plan ${name}`);
}
