/** The routes of the caller's own account and tokens (the `user` tag). */
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
    path: USER_PATHS.openapi,
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    access: 'public',
    responses: { 200: { description: 'the OpenAPI 3.1 document' } },
  },
];
