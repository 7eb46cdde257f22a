/** The administration routes: scope `admin` and account role `admin` (the `admin` tag). */
import { mfaSummaryResponse } from '../account-schemas';
import { AUDIT_PATH, auditListResponse, listAuditQuery } from '../audit-schemas';
import { backchannelLogoutCountsResponse } from '../admin/backchannel-logout';
import { createInvitationBody, invitationResponse } from '../invitation-schemas';
import {
  APIS_PATHS,
  apiListResponse,
  apiResponse,
  createApiBody,
  updateApiBody,
} from '../resource-server-schemas';
import {
  REGISTRATION_TOKENS_PATH,
  createRegistrationTokenBody,
  registrationTokenResponse,
} from '../registration-token-schemas';
import { ADMIN_PATHS } from '../paths';
import * as s from '../schemas';
import * as wh from '../webhook-schemas';
import { noContent, type RouteSpec } from './route';

const user = { 200: { description: 'the user', schema: s.userResponse } };
const webhook = { 200: { description: 'the endpoint', schema: wh.webhookResponse } };

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
    path: ADMIN_PATHS.userMfa,
    operationId: 'getUserMfa',
    summary: "A user's second factors (never a secret)",
    access: 'admin',
    responses: { 200: { description: 'the factors', schema: mfaSummaryResponse } },
  },
  {
    method: 'delete',
    path: ADMIN_PATHS.userMfa,
    operationId: 'resetUserMfa',
    summary:
      "Removes every second factor of a user (a person who lost them) and revokes the user's sessions, " +
      'grants and tokens',
    access: 'admin',
    responses: noContent,
  },
  {
    method: 'post',
    path: ADMIN_PATHS.invitations,
    operationId: 'createInvitation',
    summary:
      'Sends a single-use link (INVITATION_TTL) to an address, to create an account with the given roles ' +
      '(each must exist); the answer never holds the link',
    access: 'admin',
    body: createInvitationBody,
    responses: {
      201: { description: 'the invitation is on its way', schema: invitationResponse },
      409: { description: 'invitations are off (REGISTRATION=off)', schema: s.errorResponse },
    },
  },
  {
    method: 'post',
    path: REGISTRATION_TOKENS_PATH,
    operationId: 'createRegistrationToken',
    summary:
      'Creates an initial access token for dynamic client registration (RFC 7591 §3, POST /reg); ' +
      'the answer holds it only this once',
    access: 'admin',
    body: createRegistrationTokenBody,
    responses: {
      201: { description: 'the token', schema: registrationTokenResponse },
      409: { description: 'client registration is off (CLIENT_REGISTRATION=off)', schema: s.errorResponse },
    },
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
    summary:
      'Registers a client from RFC 7591 metadata; answers RFC 7591 §3.2.1 client information, the secret ' +
      '(for a client that uses one) in this answer only',
    access: 'admin',
    body: s.createClientBody,
    responses: {
      201: { description: 'the new client and its secret', schema: s.clientCreatedResponse },
      400: {
        description: 'invalid_client_metadata or invalid_redirect_uri (RFC 7591 §3.2.2), `details` per field',
        schema: s.errorResponse,
      },
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
    summary: "Updates a client's RFC 7591 metadata (the fields given); a secret is never generated here",
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
  {
    method: 'get',
    path: ADMIN_PATHS.backchannelLogout,
    operationId: 'getBackchannelLogoutCounts',
    summary: 'Back-channel logout tokens per client: delivered, failed after the retries, retried, pending',
    access: 'admin',
    responses: { 200: { description: 'the counts', schema: backchannelLogoutCountsResponse } },
  },
  {
    method: 'get',
    path: APIS_PATHS.apis,
    operationId: 'listApis',
    summary: 'Lists the APIs (RFC 8707 resource servers) clients may ask tokens for, by identifier',
    access: 'admin',
    responses: { 200: { description: 'the APIs', schema: apiListResponse } },
  },
  {
    method: 'post',
    path: APIS_PATHS.apis,
    operationId: 'createApi',
    summary: 'Registers an API: its identifier (the audience), scopes, access token format and lifetime',
    access: 'admin',
    body: createApiBody,
    responses: {
      201: { description: 'the new API', schema: apiResponse },
      409: { description: 'the identifier is registered already', schema: s.errorResponse },
    },
  },
  {
    method: 'get',
    path: APIS_PATHS.api,
    operationId: 'getApi',
    summary: 'One API, by its URL-encoded identifier',
    access: 'admin',
    responses: { 200: { description: 'the API', schema: apiResponse } },
  },
  {
    method: 'put',
    path: APIS_PATHS.api,
    operationId: 'updateApi',
    summary: "Changes an API's name, scopes, format or lifetime (tokens already issued keep theirs)",
    access: 'admin',
    body: updateApiBody,
    responses: { 200: { description: 'the API', schema: apiResponse } },
  },
  {
    method: 'delete',
    path: APIS_PATHS.api,
    operationId: 'deleteApi',
    summary: 'Removes an API: no new tokens for it; its JWT access tokens stay valid until they expire',
    access: 'admin',
    responses: noContent,
  },
  {
    method: 'get',
    path: wh.WEBHOOKS_PATHS.webhooks,
    operationId: 'listWebhooks',
    summary: 'Lists the event webhook endpoints (never their secrets), with their deliveries per status',
    access: 'admin',
    responses: { 200: { description: 'the endpoints', schema: wh.webhookListResponse } },
  },
  {
    method: 'post',
    path: wh.WEBHOOKS_PATHS.webhooks,
    operationId: 'createWebhook',
    summary:
      'Registers an endpoint for the audit events it names (Standard Webhooks); the signing secret is in ' +
      'this answer only',
    access: 'admin',
    body: wh.createWebhookBody,
    responses: { 201: { description: 'the new endpoint and its secret', schema: wh.webhookCreatedResponse } },
  },
  {
    method: 'get',
    path: wh.WEBHOOKS_PATHS.webhook,
    operationId: 'getWebhook',
    summary: 'One webhook endpoint (never its secret), with its deliveries per status',
    access: 'admin',
    responses: webhook,
  },
  {
    method: 'patch',
    path: wh.WEBHOOKS_PATHS.webhook,
    operationId: 'updateWebhook',
    summary: "Changes an endpoint's URL, events, description or enabled (the fields given)",
    access: 'admin',
    body: wh.updateWebhookBody,
    responses: webhook,
  },
  {
    method: 'delete',
    path: wh.WEBHOOKS_PATHS.webhook,
    operationId: 'deleteWebhook',
    summary: 'Deletes an endpoint and its deliveries (pending ones are not sent)',
    access: 'admin',
    responses: noContent,
  },
  {
    method: 'post',
    path: wh.WEBHOOKS_PATHS.secret,
    operationId: 'rotateWebhookSecret',
    summary: "Replaces an endpoint's signing secret; the new one is in this answer only",
    access: 'admin',
    responses: { 200: { description: 'the new secret', schema: wh.webhookSecretResponse } },
  },
  {
    method: 'get',
    path: wh.WEBHOOKS_PATHS.deliveries,
    operationId: 'listWebhookDeliveries',
    summary: "An endpoint's latest deliveries, newest first (never their payloads)",
    access: 'admin',
    query: wh.deliveriesQuery,
    responses: { 200: { description: 'the deliveries', schema: wh.deliveryListResponse } },
  },
  {
    method: 'post',
    path: wh.WEBHOOKS_PATHS.replay,
    operationId: 'replayWebhookDeliveries',
    summary:
      'Sends deliveries again under their message ids: every dead one (`status: "dead"`, optionally ' +
      '`since`), or the `message_ids` given (delivered or dead)',
    access: 'admin',
    body: wh.replayBody,
    responses: { 200: { description: 'how many were replayed', schema: wh.replayResponse } },
  },
  {
    method: 'get',
    path: AUDIT_PATH,
    operationId: 'listAuditEvents',
    summary:
      'Lists audit events newest first, a page at a time (next_cursor), by type (exact or a prefix like ' +
      'user.*), actor id and time (since, until)',
    access: 'admin',
    query: listAuditQuery,
    responses: {
      200: { description: 'a page of events', schema: auditListResponse },
      400: { description: 'a bad parameter, named in `details`', schema: s.errorResponse },
    },
  },
];
