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
import { EXTENSION_GRANT_TYPES } from '../oidc/grants/names';

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
const absoluteUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
/** The grants a client may list: the library's and Gatehouse's extension grants (grants/names.ts). */
const grantType = z.enum([
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'implicit',
  ...EXTENSION_GRANT_TYPES,
]);
const scopeString = z
  .string()
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, 'must be space-separated scopes');

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

export const createClientBody = z.strictObject({
  client_id: z
    .string()
    .regex(/^[A-Za-z0-9._~-]{1,128}$/, 'must be 1-128 letters, digits and . _ ~ -')
    .optional(),
  client_name: z.string().trim().min(1).max(255),
  redirect_uris: z.array(absoluteUrl).max(32).optional(),
  post_logout_redirect_uris: z.array(absoluteUrl).max(32).optional(),
  grant_types: z.array(grantType).min(1).optional(),
  public: z.boolean().optional(),
  first_party: z.boolean().optional(),
  scope: scopeString.optional(),
});

export const updateClientBody = z.strictObject({
  client_name: z.string().trim().min(1).max(255).optional(),
  redirect_uris: z.array(absoluteUrl).max(32).optional(),
  post_logout_redirect_uris: z.array(absoluteUrl).max(32).optional(),
  grant_types: z.array(grantType).min(1).optional(),
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

export const clientResponse = z.object({
  client_id: z.string(),
  client_name: z.string().nullable(),
  token_endpoint_auth_method: z.string(),
  grant_types: z.array(z.string()),
  response_types: z.array(z.string()),
  redirect_uris: z.array(z.string()),
  post_logout_redirect_uris: z.array(z.string()),
  scope: z.string().nullable(),
  first_party: z.boolean(),
});

export const clientListResponse = z.object({ clients: z.array(clientResponse) });

export const clientCreatedResponse = z.object({
  client: clientResponse,
  client_secret: z.string().nullable().describe('shown only here; null for a public client'),
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
