/**
 * The table of the API's routes: method, path, the handler's name (verb-noun), who may call it, and
 * the shapes it reads and answers. The router binds handlers to these entries and the OpenAPI
 * document is generated from them, so no route can exist without being described.
 */
import type { z } from 'zod';
import { ADMIN_PATHS, USER_PATHS } from './paths';
import * as s from './schemas';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** bearer: a user's access token; admin: bearer + scope `admin` + role `admin`. */
export type Access = 'public' | 'bearer' | 'admin' | 'validate-token';

export interface RouteSpec {
  method: Method;
  path: string;
  operationId: string;
  summary: string;
  access: Access;
  /** The scope a bearer token needs (admin routes: `admin`). */
  scope?: string;
  body?: z.ZodObject;
  query?: z.ZodObject;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

const noContent = { 204: { description: 'done' } };

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

const user = { 200: { description: 'the user', schema: s.userResponse } };

export const ADMIN_ROUTES: RouteSpec[] = [
  {
    method: 'get',
    path: ADMIN_PATHS.users,
    operationId: 'listUsers',
    summary: 'Lists users by username, a page at a time, optionally by username prefix',
    access: 'admin',
    query: s.listUsersQuery,
    responses: { 200: { description: 'a page of users', schema: s.userListResponse } },
  },
  {
    method: 'post',
    path: ADMIN_PATHS.users,
    operationId: 'createUser',
    summary: 'Creates a user with a password, profile and roles',
    access: 'admin',
    body: s.createUserBody,
    responses: {
      201: { description: 'the new user', schema: s.userResponse },
      409: { description: 'the username is taken', schema: s.errorResponse },
    },
  },
  {
    method: 'get',
    path: ADMIN_PATHS.user,
    operationId: 'getUser',
    summary: 'One user',
    access: 'admin',
    responses: user,
  },
  {
    method: 'patch',
    path: ADMIN_PATHS.user,
    operationId: 'updateUser',
    summary: "Updates a user's profile",
    access: 'admin',
    body: s.updateUserBody,
    responses: user,
  },
  {
    method: 'delete',
    path: ADMIN_PATHS.user,
    operationId: 'deleteUser',
    summary: 'Deletes a user',
    access: 'admin',
    responses: noContent,
  },
  {
    method: 'put',
    path: ADMIN_PATHS.userRoles,
    operationId: 'setUserRoles',
    summary: "Replaces a user's roles (each must exist)",
    access: 'admin',
    body: s.setRolesBody,
    responses: user,
  },
  {
    method: 'post',
    path: ADMIN_PATHS.userPassword,
    operationId: 'setUserPassword',
    summary: "Sets a user's password",
    access: 'admin',
    body: s.setPasswordBody,
    responses: noContent,
  },
  {
    method: 'post',
    path: ADMIN_PATHS.userDisable,
    operationId: 'disableUser',
    summary: 'Disables a user: no sign-in, and its tokens stop working',
    access: 'admin',
    responses: user,
  },
  {
    method: 'post',
    path: ADMIN_PATHS.userEnable,
    operationId: 'enableUser',
    summary: 'Enables a disabled user',
    access: 'admin',
    responses: user,
  },
  {
    method: 'post',
    path: ADMIN_PATHS.userUnlock,
    operationId: 'unlockUser',
    summary: "Clears the sign-in lockout of a user's name",
    access: 'admin',
    responses: noContent,
  },
  {
    method: 'get',
    path: ADMIN_PATHS.roles,
    operationId: 'listRoles',
    summary: 'Lists roles with their member counts',
    access: 'admin',
    responses: { 200: { description: 'the roles', schema: s.roleListResponse } },
  },
  {
    method: 'post',
    path: ADMIN_PATHS.roles,
    operationId: 'createRole',
    summary: 'Creates a role',
    access: 'admin',
    body: s.createRoleBody,
    responses: {
      201: { description: 'the new role', schema: s.roleResponse },
      409: { description: 'the role exists', schema: s.errorResponse },
    },
  },
  {
    method: 'delete',
    path: ADMIN_PATHS.role,
    operationId: 'deleteRole',
    summary: 'Deletes a role; a role held by accounts needs ?force=true',
    access: 'admin',
    query: s.deleteRoleQuery,
    responses: {
      ...noContent,
      409: { description: 'the role is in use', schema: s.errorResponse },
    },
  },
  {
    method: 'get',
    path: ADMIN_PATHS.clients,
    operationId: 'listClients',
    summary: 'Lists clients (never their secrets)',
    access: 'admin',
    responses: { 200: { description: 'the clients', schema: s.clientListResponse } },
  },
  {
    method: 'post',
    path: ADMIN_PATHS.clients,
    operationId: 'createClient',
    summary: 'Registers a client; the secret is in this answer only',
    access: 'admin',
    body: s.createClientBody,
    responses: {
      201: { description: 'the new client and its secret', schema: s.clientCreatedResponse },
      409: { description: 'the client_id is taken', schema: s.errorResponse },
    },
  },
  {
    method: 'get',
    path: ADMIN_PATHS.client,
    operationId: 'getClient',
    summary: 'One client (never its secret)',
    access: 'admin',
    responses: { 200: { description: 'the client', schema: s.clientResponse } },
  },
  {
    method: 'patch',
    path: ADMIN_PATHS.client,
    operationId: 'updateClient',
    summary: "Updates a client's name, redirect URIs, grant types or scope",
    access: 'admin',
    body: s.updateClientBody,
    responses: { 200: { description: 'the client', schema: s.clientResponse } },
  },
  {
    method: 'delete',
    path: ADMIN_PATHS.client,
    operationId: 'deleteClient',
    summary: 'Deletes a client, its service keys, and so the use of its tokens',
    access: 'admin',
    responses: noContent,
  },
  {
    method: 'post',
    path: ADMIN_PATHS.clientSecret,
    operationId: 'rotateClientSecret',
    summary: "Replaces a confidential client's secret; the new one is in this answer only",
    access: 'admin',
    responses: {
      200: { description: 'the new secret', schema: s.clientSecretResponse },
      400: { description: 'a public client has no secret', schema: s.errorResponse },
    },
  },
  {
    method: 'get',
    path: ADMIN_PATHS.serviceKeys,
    operationId: 'listServiceKeys',
    summary: "Lists a client's service keys (never the keys)",
    access: 'admin',
    responses: { 200: { description: 'the service keys', schema: s.serviceKeyListResponse } },
  },
  {
    method: 'post',
    path: ADMIN_PATHS.serviceKeys,
    operationId: 'createServiceKey',
    summary: 'Creates a service key for a client; the key is in this answer only',
    access: 'admin',
    responses: { 201: { description: 'the new key', schema: s.serviceKeyCreatedResponse } },
  },
  {
    method: 'delete',
    path: ADMIN_PATHS.serviceKey,
    operationId: 'revokeServiceKey',
    summary: 'Revokes a service key',
    access: 'admin',
    responses: noContent,
  },
];
