/**
 * What the API shows of the stores' records: explicit picks, so that a field added to a store never
 * reaches a client by accident (password hashes and secrets are never picked).
 */
import type { z } from 'zod';
import type { Account } from '../accounts/store';
import type { Role } from '../accounts/roles';
import type { ServiceKey } from '../clients/service-keys';
import type { profileResponse, roleResponse, serviceKeyResponse, userResponse } from './schemas';

export function profileView(account: Account): z.infer<typeof profileResponse> {
  return {
    sub: account.id,
    username: account.username,
    email: account.email,
    email_verified: account.emailVerified,
    given_name: account.givenName,
    family_name: account.familyName,
    name: [account.givenName, account.familyName].filter(Boolean).join(' ') || null,
    phone_number: account.phoneNumber,
    locale: account.locale,
    roles: account.roles,
  };
}

export function userView(account: Account): z.infer<typeof userResponse> {
  return {
    id: account.id,
    username: account.username,
    email: account.email,
    email_verified: account.emailVerified,
    given_name: account.givenName,
    family_name: account.familyName,
    phone_number: account.phoneNumber,
    phone_number_verified: account.phoneNumberVerified,
    locale: account.locale,
    address: account.address,
    disabled: account.disabled,
    roles: account.roles,
    created_at: account.createdAt.toISOString(),
    updated_at: account.updatedAt.toISOString(),
  };
}

export function roleView(role: Role): z.infer<typeof roleResponse> {
  return { name: role.name, description: role.description, members: role.members };
}

export function serviceKeyView(key: ServiceKey): z.infer<typeof serviceKeyResponse> {
  return {
    id: key.id,
    client_id: key.clientId,
    prefix: key.prefix,
    created_at: key.createdAt.toISOString(),
    revoked_at: key.revokedAt?.toISOString() ?? null,
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
  };
}
