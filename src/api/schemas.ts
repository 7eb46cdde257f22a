/**
 * The shapes of the API: request bodies (what the handlers validate) and responses (what the views
 * build). The OpenAPI document is generated from these same schemas, so it cannot drift from the
 * code; the OpenAPI test checks real responses against it.
 */
import { z } from 'zod';
import { MAX_USERNAME_LENGTH, USERNAME_PATTERN, USERNAME_RULE } from '../accounts/username';
import { DEFAULT_PASSWORD_POLICY, passwordProblem } from '../accounts/password-rules';
import { ROLE_NAME_PATTERN } from '../accounts/roles';
import { email, locale, personName, phoneNumber } from '../accounts/profile-fields';
import { clientMetadataFields, clientMetadataInput, clientName, scopeString } from '../clients/metadata';

// ---- fields ---------------------------------------------------------------------------------------

// The profile fields' rules are shared with the account page (accounts/profile-fields.ts).
const name = personName;
const roleName = z.string().regex(ROLE_NAME_PATTERN, 'must be lower-case letters, digits and . _ : -');
/**
 * A new password: the rules of accounts/password-rules.ts at their floor (8 characters), so that a
 * request's every field error comes in one answer. A higher PASSWORD_MIN_LENGTH is checked where
 * every password is set, in the account store, whose PasswordRuleError answers 400 naming the field.
 */
export const password = z.string().superRefine((value, ctx) => {
  const problem = passwordProblem(DEFAULT_PASSWORD_POLICY, value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const editableProfile = {
  given_name: name.nullable().optional(),
  family_name: name.nullable().optional(),
  phone_number: phoneNumber.nullable().optional(),
  locale: locale.nullable().optional(),
  email: email.nullable().optional(),
};

// ---- requests -------------------------------------------------------------------------------------

export const updateProfileBody = z.strictObject(editableProfile);

export const validateTokenBody = z.strictObject({
  token: z.string().min(1).max(4096).optional(),
  token_type_hint: z.string().max(64).optional(),
});

export const createUserBody = z.strictObject({
  username: z.string().regex(USERNAME_PATTERN, `must be ${USERNAME_RULE}`),
  password,
  ...editableProfile,
  email_verified: z.boolean().optional(),
  phone_number_verified: z.boolean().optional(),
  roles: z.array(roleName).max(64).optional(),
  disabled: z.boolean().optional(),
});

export const updateUserBody = z.strictObject({
  ...editableProfile,
  email_verified: z.boolean().optional(),
  phone_number_verified: z.boolean().optional(),
});

export const setRolesBody = z.strictObject({ roles: z.array(roleName).max(64) });

export const setPasswordBody = z.strictObject({ password });

export const listUsersQuery = z.strictObject({
  prefix: z.string().max(MAX_USERNAME_LENGTH).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(MAX_USERNAME_LENGTH).optional(),
});

export const createRoleBody = z.strictObject({
  name: roleName,
  description: z.string().max(255).nullable().optional(),
});

export const deleteRoleQuery = z.strictObject({ force: z.enum(['true', 'false']).optional() });

/**
 * RFC 7591 §2 metadata (clients/metadata.ts, the same set as `gatehouse client create --metadata`),
 * and `public`, Gatehouse's short way of saying token_endpoint_auth_method `none`.
 */
export const createClientBody = clientMetadataInput.extend({ public: z.boolean().optional() });

/** The fields to change, as in createClientBody; a `scope` of null restores the default scopes. */
export const updateClientBody = z.strictObject({
  client_name: clientName.optional(),
  ...clientMetadataFields,
  scope: scopeString.nullable().optional(),
});

// ---- responses ------------------------------------------------------------------------------------

export const errorResponse = z.object({
  error: z.string(),
  error_description: z.string(),
  details: z.record(z.string(), z.string()).optional(),
});

export const profileResponse = z.object({
  sub: z.string(),
  username: z.string(),
  email: z.string().nullable(),
  email_verified: z.boolean(),
  given_name: z.string().nullable(),
  family_name: z.string().nullable(),
  name: z.string().nullable(),
  phone_number: z.string().nullable(),
  locale: z.string().nullable(),
  roles: z.array(z.string()),
});

export const rolesResponse = z.object({ roles: z.array(z.string()) });

const addressClaim = z.object({
  formatted: z.string().optional(),
  street_address: z.string().optional(),
  locality: z.string().optional(),
  region: z.string().optional(),
  postal_code: z.string().optional(),
  country: z.string().optional(),
});

/** The claims of SCOPE_CLAIMS (src/oidc/claims.ts); which appear depends on the token's scopes. */
export const userinfoResponse = z.object({
  sub: z.string(),
  name: z.string().optional(),
  given_name: z.string().optional(),
  family_name: z.string().optional(),
  preferred_username: z.string().optional(),
  locale: z.string().optional(),
  updated_at: z.number().int().optional(),
  email: z.string().optional(),
  email_verified: z.boolean().optional(),
  phone_number: z.string().optional(),
  phone_number_verified: z.boolean().optional(),
  address: addressClaim.optional(),
  roles: z.array(z.string()).optional(),
});

export const validateTokenResponse = z.union([
  z.object({
    active: z.literal(true),
    sub: z.string().optional(),
    client_id: z.string(),
    scope: z.string().optional(),
    exp: z.number().int(),
    roles: z.array(z.string()).optional(),
    // RFC 8707: the API a token is for (its resource indicator), when it is for one.
    aud: z.union([z.string(), z.array(z.string())]).optional(),
  }),
  z.object({ active: z.literal(false) }),
]);

const timestamp = z.string().describe('RFC 3339 date-time');

export const userResponse = z.object({
  id: z.string(),
  username: z.string(),
  email: z.string().nullable(),
  email_verified: z.boolean(),
  given_name: z.string().nullable(),
  family_name: z.string().nullable(),
  phone_number: z.string().nullable(),
  phone_number_verified: z.boolean(),
  locale: z.string().nullable(),
  address: addressClaim.nullable(),
  disabled: z.boolean(),
  roles: z.array(z.string()),
  created_at: timestamp,
  updated_at: timestamp,
});

export const userListResponse = z.object({
  users: z.array(userResponse),
  next_cursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last page'),
});

export const roleResponse = z.object({
  name: z.string(),
  description: z.string().nullable(),
  members: z.number().int(),
});

export const roleListResponse = z.object({ roles: z.array(roleResponse) });

/** A client's metadata as registered (RFC 7591 §3.2.1 without the secret), every field top level. */
export const clientResponse = z.object({
  client_id: z.string(),
  client_id_issued_at: z
    .number()
    .int()
    .optional()
    .describe('seconds since the epoch; absent for older clients'),
  client_name: z.string().nullable(),
  token_endpoint_auth_method: z.string(),
  grant_types: z.array(z.string()),
  response_types: z.array(z.string()),
  redirect_uris: z.array(z.string()),
  post_logout_redirect_uris: z.array(z.string()),
  scope: z.string().nullable(),
  first_party: z.boolean(),
  token_endpoint_auth_signing_alg: z.string().optional(),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).optional(),
  jwks_uri: z.string().optional(),
  id_token_signed_response_alg: z.string().optional(),
  userinfo_signed_response_alg: z.string().optional(),
  backchannel_logout_uri: z.string().optional(),
  backchannel_logout_session_required: z.boolean().optional(),
  require_pushed_authorization_requests: z.boolean().optional(),
  dpop_bound_access_tokens: z.boolean().optional(),
  logo_uri: z.string().optional(),
  client_uri: z.string().optional(),
  policy_uri: z.string().optional(),
  tos_uri: z.string().optional(),
  contacts: z.array(z.string()).optional(),
});

export const clientListResponse = z.object({ clients: z.array(clientResponse) });

/** RFC 7591 §3.2.1: the client information response, the secret beside the metadata. */
export const clientCreatedResponse = clientResponse.extend({
  client_id_issued_at: z.number().int().describe('seconds since the epoch'),
  client_secret: z
    .string()
    .optional()
    .describe('shown only here; absent when the client needs none (none, private_key_jwt)'),
  client_secret_expires_at: z
    .literal(0)
    .optional()
    .describe('0: the secret does not expire; with a secret only'),
});

export const clientSecretResponse = z.object({
  client_id: z.string(),
  client_secret: z.string().describe('shown only here'),
});

export const serviceKeyResponse = z.object({
  id: z.string(),
  client_id: z.string(),
  prefix: z.string(),
  created_at: timestamp,
  revoked_at: timestamp.nullable(),
  last_used_at: timestamp.nullable(),
});

export const serviceKeyListResponse = z.object({ service_keys: z.array(serviceKeyResponse) });

export const serviceKeyCreatedResponse = z.object({
  service_key: serviceKeyResponse,
  key: z.string().describe('the X-Service-Key value; shown only here'),
});
