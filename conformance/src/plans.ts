/**
 * The modules in the order of the suite's plans: config (discovery), basic (the Basic OP plan, code
 * flow), logout (the RP-initiated logout plan).
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

export const PLANS: readonly Plan[] = ['config', 'basic', 'logout'];

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
];

/** `all` is every plan. */
export function plansOf(name: string): Plan[] {
  if (name === 'all') return [...PLANS];
  if ((PLANS as readonly string[]).includes(name)) return [name as Plan];
  throw new Error(`unknown plan ${name}`);
}
