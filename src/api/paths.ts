/**
 * Every path of the sidecar API, in one place: the routers, the OpenAPI document and the tests all
 * read them from here. Koa-router syntax (`:id`); `openApiPath` turns them into OpenAPI templates.
 */
export const API_PREFIX = '/api';

/** The header integrators authenticate with: a client's service key (clients/service-keys.ts). */
export const SERVICE_KEY_HEADER = 'X-Service-Key';

export const USER_PATHS = {
  profile: '/api/profile',
  roles: '/api/roles',
  userinfo: '/api/userinfo',
  validateToken: '/api/validate-token',
  logout: '/api/logout',
  openapi: '/api/openapi.json',
  accountMfa: '/api/account/mfa',
  accountTotp: '/api/account/mfa/totp',
  accountTotpVerify: '/api/account/mfa/totp/verify',
  accountRecoveryCodes: '/api/account/mfa/recovery-codes',
  accountPasskey: '/api/account/mfa/passkeys/:id',
  account: '/api/account',
  accountPassword: '/api/account/password',
  accountConsents: '/api/account/consents',
  accountConsent: '/api/account/consents/:clientId',
  accountSessions: '/api/account/sessions',
  accountSession: '/api/account/sessions/:id',
} as const;

/** Routes a person without a session calls: a forgotten password, a verification link. */
export const PUBLIC_PATHS = {
  passwordReset: '/api/password-reset',
  passwordResetConfirm: '/api/password-reset/confirm',
  emailVerificationConfirm: '/api/email-verification/confirm',
} as const;

export const ADMIN_PATHS = {
  users: '/api/admin/users',
  user: '/api/admin/users/:id',
  userRoles: '/api/admin/users/:id/roles',
  userPassword: '/api/admin/users/:id/password',
  userDisable: '/api/admin/users/:id/disable',
  userEnable: '/api/admin/users/:id/enable',
  userUnlock: '/api/admin/users/:id/unlock',
  userMfa: '/api/admin/users/:id/mfa',
  invitations: '/api/admin/invitations',
  roles: '/api/admin/roles',
  role: '/api/admin/roles/:name',
  clients: '/api/admin/clients',
  client: '/api/admin/clients/:clientId',
  clientSecret: '/api/admin/clients/:clientId/secret',
  serviceKeys: '/api/admin/clients/:clientId/service-keys',
  serviceKey: '/api/admin/clients/:clientId/service-keys/:keyId',
  backchannelLogout: '/api/admin/backchannel-logout',
} as const;

/**
 * The seed-compatible integrator routes (api/integrator.ts). Each also answers with a trailing slash,
 * as integrators written against the seed use either spelling; the document names the one without.
 */
export const INTEGRATOR_PATHS = {
  requestOtp: '/api/request-otp',
  passwordToken: '/api/token/password',
  otpToken: '/api/token/otp',
} as const;

/** `/api/admin/users/:id` -> `/api/admin/users/{id}` */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z]+)/g, '{$1}');
}
