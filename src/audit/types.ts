/**
 * The audit events Gatehouse records (audit_events, migration 20261206000100) and webhooks deliver:
 * one name per kind of change, stable (operators subscribe to them and query by them). Imports
 * nothing, so any layer may read it.
 */
export const AUDIT_EVENT_TYPES = [
  // Sign-in (data.method: password | otp | passkey | ...; data.client_id when a client asked).
  'user.signed_in',
  // data.reason: invalid_credentials (wrong password and unknown user alike) | locked | disabled |
  // second_factor | otp_invalid
  'user.sign_in_failed',
  // The throttle locked a user name after too many failures (data.until).
  'user.locked',
  'user.created',
  // Self-service sign-up (REGISTRATION=open) or an accepted invitation.
  'user.registered',
  // data.fields: the names of the fields changed, never their secrets.
  'user.updated',
  'user.roles_changed',
  'user.disabled',
  'user.enabled',
  'user.deleted',
  'user.password_changed',
  'user.password_reset',
  // data.factor: totp | recovery_codes | passkey
  'user.mfa_enrolled',
  'user.mfa_removed',
  'consent.granted',
  'consent.revoked',
  // A session ended: logout, signed out on the account page or API, or revoked with the account's state.
  'session.ended',
  // A rotated refresh token presented again: the grant it belongs to was revoked (RFC 9700 §4.14.2).
  'token.reuse_detected',
  'client.created',
  'client.updated',
  'client.deleted',
  'client.secret_rotated',
  'service_key.created',
  'service_key.revoked',
  'api.created',
  'api.updated',
  'api.deleted',
  'key.rotated',
  'key.retired',
  'role.created',
  'role.deleted',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'registration_token.created',
  'registration_token.revoked',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export type ActorType = 'account' | 'client' | 'cli' | 'system' | 'anonymous';

/** Who did it: an account (a person), a client (a service), the CLI (with the OS user), or the node. */
export interface Actor {
  type: ActorType;
  id: string | null;
}

export type TargetType =
  | 'account'
  | 'client'
  | 'service_key'
  | 'api'
  | 'key'
  | 'role'
  | 'session'
  | 'webhook'
  | 'registration_token';

export function isAuditEventType(value: string): value is AuditEventType {
  return (AUDIT_EVENT_TYPES as readonly string[]).includes(value);
}
