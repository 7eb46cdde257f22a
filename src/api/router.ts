/**
 * The sidecar API's routers, built from the route table (spec.ts): user routes and admin routes on
 * separate routers, each route behind the checks its table entry names, and a last router that
 * answers every other path under /api with a JSON 404 (or 405 with Allow for a known path).
 */
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Provider } from 'oidc-provider';
import type { ConsentStore } from '../accounts/consents';
import type { EmailVerification } from '../accounts/email-verification';
import type { MfaStore } from '../accounts/mfa/store';
import type { PasswordReset } from '../accounts/password-reset';
import type { Registration } from '../accounts/registration';
import type { RoleStore } from '../accounts/roles';
import type { WebhookStore } from '../audit/webhooks';
import { AuditLog } from '../audit/query';
import type { ResourceServerStore } from '../clients/resource-servers';
import type { AccountStore } from '../accounts/store';
import type { ServiceKeyStore } from '../clients/service-keys';
import type { ClientStore } from '../clients/store';
import type { Config } from '../config';
import type { Database } from '../db/database';
import { GatehouseError, notFound } from '../errors';
import { parseBody } from '../http/body';
import { refuseUnstorableInput } from '../http/input';
import type { Logger } from '../log';
import type { AccountSessions } from '../oidc/sessions';
import type { RateLimits } from '../security/rate-limits';
import { getBackchannelLogoutCounts } from './admin/backchannel-logout';
import * as adminApis from './admin/apis';
import { listAuditEvents } from './admin/audit';
import * as adminClients from './admin/clients';
import * as adminInvitations from './admin/invitations';
import * as adminRegistrationTokens from './admin/registration-tokens';
import * as adminRoles from './admin/roles';
import * as adminServiceKeys from './admin/service-keys';
import * as adminUsers from './admin/users';
import * as adminWebhooks from './admin/webhooks';
import * as accountConsents from './account/consents';
import * as accountPassword from './account/password';
import * as accountProfile from './account/profile';
import * as accountSessions from './account/sessions';
import * as accountMfa from './account-mfa';
import { authenticateBearer, requireMultiFactor, requireRole, requireScope } from './bearer';
import { logout } from './logout';
import { buildOpenApiDocument } from './openapi';
import { API_PREFIX } from './paths';
import { getProfile, updateProfile } from './profile';
import { getRoles } from './roles';
import * as recovery from './recovery';
import { ADMIN_ROUTES, RECOVERY_ROUTES, USER_ROUTES, type RouteSpec } from './spec';
import { validateToken } from './tokens';
import { getUserinfo } from './userinfo';

/**
 * What the API is built from. The router is where it is taken apart: each handler factory gets an
 * object naming only what that handler uses.
 */
export interface ApiRouterDeps {
  accounts: AccountStore;
  /** Second factors: the account API (/api/account/mfa) and the administrators' reset. */
  mfa: MfaStore;
  /** Remembered consents: the account API lists and revokes them (/api/account/consents). */
  consents: ConsentStore;
  /** The account's browser sessions: the account API lists and signs them out (/api/account/sessions). */
  sessions: Pick<AccountSessions, 'list' | 'revoke'>;
  roles: RoleStore;
  clients: ClientStore;
  serviceKeys: ServiceKeyStore;
  db: Database;
  logger: Logger;
  config: Pick<Config, 'issuer' | 'env' | 'api' | 'mfa' | 'proxy' | 'clientRegistration'>;
  /** A changed address gets a verification link; the public route spends it (accounts/email-verification.ts). */
  emailVerification: Pick<EmailVerification, 'request' | 'verify'>;
  /** A forgotten password (accounts/password-reset.ts): the public routes. */
  passwordReset: Pick<PasswordReset, 'request' | 'confirm'>;
  /** Invitations (REGISTRATION=invite or open): the administrators' route sends them. */
  registration: Pick<Registration, 'invite'>;
  /** RATE_LIMIT_PASSWORD_RESET and RATE_LIMIT_PASSWORD_RESET_NAME. */
  rateLimits: RateLimits;
  /** The registry of APIs (RFC 8707 resource servers): /api/admin/apis. */
  resourceServers: ResourceServerStore;
  /** Event webhook endpoints and their deliveries: /api/admin/webhooks. */
  webhooks: WebhookStore;
}

/** Each route's handler, by operationId; built once per router, for the provider it is bound to. */
type Handlers = Record<string, () => Middleware>;

function getOpenApiDocument({ issuer }: { issuer: string }): Middleware {
  const document = buildOpenApiDocument({ issuer });
  return async function getOpenApiDocument(ctx: Context): Promise<void> {
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = document;
  };
}

function userHandlers(deps: ApiRouterDeps, provider: Provider): Handlers {
  const { accounts, mfa, clients, serviceKeys, db, logger, config, emailVerification } = deps;
  return {
    getProfile: () => getProfile(),
    updateProfile: () => updateProfile({ accounts, emailVerification }),
    getRoles: () => getRoles(),
    getUserinfo: () => getUserinfo({ provider }),
    validateToken: () => validateToken({ provider, accounts, clients, serviceKeys }),
    logout: () => logout({ provider, db, logger }),
    getOpenApiDocument: () => getOpenApiDocument({ issuer: config.issuer }),
    getAccountMfa: () => accountMfa.getAccountMfa({ mfa }),
    startTotpEnrollment: () => accountMfa.startTotpEnrollment({ mfa }),
    confirmTotpEnrollment: () => accountMfa.confirmTotpEnrollment({ mfa }),
    removeTotp: () => accountMfa.removeTotp({ mfa }),
    regenerateRecoveryCodes: () => accountMfa.regenerateRecoveryCodes({ mfa }),
    removePasskey: () => accountMfa.removePasskey({ mfa }),
    listConsents: () => accountConsents.listConsents({ consents: deps.consents }),
    revokeConsent: () => accountConsents.revokeConsent({ consents: deps.consents }),
    getAccount: () => accountProfile.getAccount(),
    updateAccount: () => accountProfile.updateAccount({ accounts, emailVerification }),
    changePassword: () => accountPassword.changePassword({ accounts }),
    listSessions: () => accountSessions.listSessions({ sessions: deps.sessions }),
    revokeSession: () => accountSessions.revokeSession({ sessions: deps.sessions }),
  };
}

function adminHandlers(deps: ApiRouterDeps, provider: Provider): Handlers {
  const { accounts, mfa, roles, clients, serviceKeys, logger, config, emailVerification } = deps;
  const clientAdmin = { clients, provider, policy: { production: config.env === 'production' } };
  return {
    listUsers: () => adminUsers.listUsers({ accounts }),
    createUser: () => adminUsers.createUser({ accounts, roles }),
    getUser: () => adminUsers.getUser({ accounts }),
    updateUser: () => adminUsers.updateUser({ accounts, emailVerification }),
    deleteUser: () => adminUsers.deleteUser({ accounts }),
    setUserRoles: () => adminUsers.setUserRoles({ accounts, roles }),
    setUserPassword: () => adminUsers.setUserPassword({ accounts }),
    disableUser: () => adminUsers.disableUser({ accounts }),
    enableUser: () => adminUsers.enableUser({ accounts }),
    unlockUser: () => adminUsers.unlockUser({ accounts }),
    getUserMfa: () => adminUsers.getUserMfa({ accounts, mfa }),
    resetUserMfa: () => adminUsers.resetUserMfa({ accounts, mfa, logger }),
    createInvitation: () => adminInvitations.createInvitation({ registration: deps.registration }),
    createRegistrationToken: () =>
      adminRegistrationTokens.createRegistrationToken({ provider, config, db: deps.db }),
    listRoles: () => adminRoles.listRoles({ roles }),
    createRole: () => adminRoles.createRole({ roles }),
    deleteRole: () => adminRoles.deleteRole({ roles }),
    listClients: () => adminClients.listClients(clientAdmin),
    createClient: () => adminClients.createClient(clientAdmin),
    getClient: () => adminClients.getClient(clientAdmin),
    updateClient: () => adminClients.updateClient(clientAdmin),
    deleteClient: () => adminClients.deleteClient(clientAdmin),
    rotateClientSecret: () => adminClients.rotateClientSecret(clientAdmin),
    listServiceKeys: () => adminServiceKeys.listServiceKeys({ clients, serviceKeys }),
    createServiceKey: () => adminServiceKeys.createServiceKey({ clients, serviceKeys }),
    revokeServiceKey: () => adminServiceKeys.revokeServiceKey({ clients, serviceKeys }),
    getBackchannelLogoutCounts: () => getBackchannelLogoutCounts({ db: deps.db }),
    listApis: () => adminApis.listApis(deps),
    createApi: () => adminApis.createApi(deps),
    getApi: () => adminApis.getApi(deps),
    updateApi: () => adminApis.updateApi(deps),
    deleteApi: () => adminApis.deleteApi(deps),
    listWebhooks: () => adminWebhooks.listWebhooks(deps),
    createWebhook: () => adminWebhooks.createWebhook(deps),
    getWebhook: () => adminWebhooks.getWebhook(deps),
    updateWebhook: () => adminWebhooks.updateWebhook(deps),
    deleteWebhook: () => adminWebhooks.deleteWebhook(deps),
    rotateWebhookSecret: () => adminWebhooks.rotateWebhookSecret(deps),
    listWebhookDeliveries: () => adminWebhooks.listWebhookDeliveries(deps),
    replayWebhookDeliveries: () => adminWebhooks.replayWebhookDeliveries(deps),
    listAuditEvents: () => listAuditEvents({ audit: new AuditLog(deps.db) }),
  };
}

/** The public routes of a forgotten password and a verification link. */
function recoveryHandlers(deps: ApiRouterDeps): Handlers {
  const { passwordReset, emailVerification, rateLimits, config } = deps;
  return {
    requestPasswordReset: () =>
      recovery.requestPasswordReset({ passwordReset, rateLimits, proxy: config.proxy }),
    confirmPasswordReset: () => recovery.confirmPasswordReset({ passwordReset }),
    confirmEmailVerification: () => recovery.confirmEmailVerification({ emailVerification }),
  };
}

/** One router for a route table: each route behind the checks its table entry names, then its handler. */
function buildRouter(
  checks: { bearer: Middleware; body: Middleware; admin: Middleware[] },
  routes: RouteSpec[],
  handlers: Handlers,
): Router {
  const router = new Router();
  for (const route of routes) {
    const handler = handlers[route.operationId];
    if (!handler) throw new Error(`no handler for ${route.operationId}`);
    const chain: Middleware[] = [];
    if (route.access === 'bearer' || route.access === 'admin') chain.push(checks.bearer);
    if (route.access === 'admin') chain.push(requireScope('admin'), requireRole('admin'), ...checks.admin);
    else if (route.scope) chain.push(requireScope(route.scope));
    chain.push(refuseUnstorableInput);
    if (route.body) chain.push(checks.body);
    chain.push(handler());
    router[route.method](route.operationId, route.path, ...chain);
  }
  return router;
}

/** Unknown paths under /api: 404 JSON; a known path with another method: 405 with Allow. */
function createFallbackRouter(routers: Router[]): Router {
  const router = new Router();
  router.all([API_PREFIX, `${API_PREFIX}/*rest`], async function answerUnknownRoute(ctx: Context) {
    const methods = new Set<string>();
    for (const r of routers)
      for (const layer of r.match(ctx.path, ctx.method).path) for (const m of layer.methods) methods.add(m);
    if (!methods.size) throw notFound('no such API route');
    const allow = [...methods].join(', ');
    if (ctx.method === 'OPTIONS') {
      ctx.set('Allow', allow);
      ctx.status = 204;
      return;
    }
    throw new GatehouseError('invalid_request', 405, `method not allowed; allowed: ${allow}`, {
      headers: { Allow: allow },
    });
  });
  return router;
}

/** The user router, the admin router and the /api fallback, in the order they must be mounted. */
export function createApiRouters(deps: ApiRouterDeps, provider: Provider): Router[] {
  const checks = {
    bearer: authenticateBearer({ provider }),
    body: parseBody({ limitBytes: deps.config.api.bodyLimitBytes }),
    admin: deps.config.mfa.requiredRoles.length ? [requireMultiFactor()] : [],
  };
  const user = buildRouter(checks, USER_ROUTES, userHandlers(deps, provider));
  const admin = buildRouter(checks, ADMIN_ROUTES, adminHandlers(deps, provider));
  const publicRoutes = buildRouter(checks, RECOVERY_ROUTES, recoveryHandlers(deps));
  return [user, publicRoutes, admin, createFallbackRouter([user, publicRoutes, admin])];
}
