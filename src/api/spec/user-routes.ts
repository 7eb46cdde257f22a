/** The routes of the caller's own account and tokens (the `user` tag) and second factors (`account`). */
import * as a from '../account-schemas';
import { USER_PATHS } from '../paths';
import * as s from '../schemas';
import { noContent, type RouteSpec } from './route';

export const USER_ROUTES: RouteSpec[] = [
  {
    method: 'get',
    path: USER_PATHS.profile,
    operationId: 'getProfile',
    summary: "The caller's profile",
    access: 'bearer',
    scope: 'profile',
    responses: { 200: { description: 'the profile', schema: s.profileResponse } },
  },
  {
    method: 'put',
    path: USER_PATHS.profile,
    operationId: 'updateProfile',
    summary: 'Updates the editable profile fields (a changed email or phone becomes unverified)',
    access: 'bearer',
    scope: 'profile:write',
    body: s.updateProfileBody,
    responses: { 200: { description: 'the updated profile', schema: s.profileResponse } },
  },
  {
    method: 'get',
    path: USER_PATHS.roles,
    operationId: 'getRoles',
    summary: "The caller's roles",
    access: 'bearer',
    scope: 'roles',
    responses: { 200: { description: 'the roles', schema: s.rolesResponse } },
  },
  {
    method: 'get',
    path: USER_PATHS.userinfo,
    operationId: 'getUserinfo',
    summary: "The claims the provider's userinfo endpoint releases for this token",
    access: 'bearer',
    scope: 'openid',
    responses: { 200: { description: 'the claims', schema: s.userinfoResponse } },
  },
  {
    method: 'post',
    path: USER_PATHS.validateToken,
    operationId: 'validateToken',
    summary:
      'Validates the bearer token, or (with `token`) a token for a caller authenticated by client ' +
      'credentials (Basic) or X-Service-Key; says no more than RFC 7662 introspection',
    access: 'validate-token',
    body: s.validateTokenBody,
    responses: {
      200: { description: 'the token state', schema: s.validateTokenResponse },
      401: {
        description:
          'bearer mode: the token is invalid (`{"active": false}`); or the caller failed authentication',
        schema: s.validateTokenResponse.or(s.errorResponse),
      },
    },
  },
  {
    method: 'post',
    path: USER_PATHS.logout,
    operationId: 'logout',
    summary:
      "Revokes the token's grant (access and refresh tokens) and ends the account's sessions for that client",
    access: 'bearer',
    responses: noContent,
  },
  {
    method: 'get',
    path: USER_PATHS.accountMfa,
    operationId: 'getAccountMfa',
    summary:
      "The caller's second factors: the authenticator app, passkeys, recovery codes left (never a secret)",
    access: 'bearer',
    scope: 'account',
    tag: 'account',
    responses: { 200: { description: 'the factors', schema: a.mfaSummaryResponse } },
  },
  {
    method: 'post',
    path: USER_PATHS.accountTotp,
    operationId: 'startTotpEnrollment',
    summary:
      'Starts enrolling an authenticator app (RFC 6238): a new pending secret, replacing a pending one; ' +
      'the secret is in this answer only',
    access: 'bearer',
    scope: 'account',
    tag: 'account',
    responses: {
      201: {
        description: 'the pending secret, its otpauth URI and QR code',
        schema: a.totpEnrollmentResponse,
      },
      409: { description: 'an authenticator app is active already', schema: s.errorResponse },
    },
  },
  {
    method: 'post',
    path: USER_PATHS.accountTotpVerify,
    operationId: 'confirmTotpEnrollment',
    summary:
      'Activates the pending authenticator app with a code from it; the ten recovery codes are in this answer only',
    access: 'bearer',
    scope: 'account',
    tag: 'account',
    body: a.codeBody,
    responses: {
      200: { description: 'the app is active; the recovery codes', schema: a.recoveryCodesResponse },
      400: { description: 'the code is wrong (`details.code`); nothing changed', schema: s.errorResponse },
      409: { description: 'no authenticator app is being enrolled', schema: s.errorResponse },
    },
  },
  {
    method: 'delete',
    path: USER_PATHS.accountTotp,
    operationId: 'removeTotp',
    summary:
      'Removes the authenticator app, proven by a current code or a recovery code (counted like a sign-in); ' +
      'the recovery codes go with the last second factor',
    access: 'bearer',
    scope: 'account',
    tag: 'account',
    body: a.codeBody,
    responses: {
      ...noContent,
      400: { description: 'the code is wrong (`details.code`)', schema: s.errorResponse },
      404: { description: 'no authenticator app is enrolled', schema: s.errorResponse },
      429: { description: 'too many wrong codes: locked, see Retry-After', schema: s.errorResponse },
    },
  },
  {
    method: 'post',
    path: USER_PATHS.accountRecoveryCodes,
    operationId: 'regenerateRecoveryCodes',
    summary: 'Replaces the recovery codes with ten new ones, in this answer only',
    access: 'bearer',
    scope: 'account',
    tag: 'account',
    responses: {
      200: { description: 'the new recovery codes', schema: a.recoveryCodesResponse },
      409: { description: 'the account has no second factor', schema: s.errorResponse },
    },
  },
  {
    method: 'delete',
    path: USER_PATHS.accountPasskey,
    operationId: 'removePasskey',
    summary: "Removes one of the caller's passkeys",
    access: 'bearer',
    scope: 'account',
    tag: 'account',
    responses: noContent,
  },
  {
    method: 'get',
    path: USER_PATHS.openapi,
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    access: 'public',
    responses: { 200: { description: 'the OpenAPI 3.1 document' } },
  },
];
