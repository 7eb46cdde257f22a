/**
 * The routes a person calls without signing in (the `recovery` tag): a forgotten password and a
 * verification link. Public: no bearer token; the links' tokens are what they spend.
 */
import * as r from '../recovery-schemas';
import { PUBLIC_PATHS } from '../paths';
import * as s from '../schemas';
import { noContent, type RouteSpec } from './route';

const tooMany = {
  429: {
    description: 'too many requests from this source or for this name (Retry-After says when to retry)',
    schema: s.errorResponse,
  },
};

export const RECOVERY_ROUTES: RouteSpec[] = [
  {
    method: 'post',
    path: PUBLIC_PATHS.passwordReset,
    operationId: 'requestPasswordReset',
    summary:
      'Sends a password reset link (OTP_DELIVERY: event password_reset.requested, an e-mail) to the ' +
      'account with this username, or to the accounts with this address; the same 202 whether or not ' +
      'one exists',
    access: 'public',
    tag: 'recovery',
    body: r.passwordResetBody,
    responses: {
      202: {
        description: 'accepted (nothing tells whether an account exists)',
        schema: r.passwordResetAccepted,
      },
      ...tooMany,
    },
  },
  {
    method: 'post',
    path: PUBLIC_PATHS.passwordResetConfirm,
    operationId: 'confirmPasswordReset',
    summary:
      "Sets a new password with a reset link's token (once); every session, grant and token of the " +
      'account is revoked and its sign-in lockout lifted (second factors stay)',
    access: 'public',
    tag: 'recovery',
    body: r.passwordResetConfirmBody,
    responses: {
      ...noContent,
      400: {
        description:
          'the token is unknown, expired or spent (`details.token`), or the password breaks the rules ' +
          '(`details.new_password`)',
        schema: s.errorResponse,
      },
    },
  },
  {
    method: 'post',
    path: PUBLIC_PATHS.emailVerificationConfirm,
    operationId: 'confirmEmailVerification',
    summary:
      "Verifies the address a verification link went to, while it is still the account's (also when " +
      'this link verified it before)',
    access: 'public',
    tag: 'recovery',
    body: r.emailVerificationConfirmBody,
    responses: {
      ...noContent,
      400: {
        description:
          'the token is unknown, expired, spent, or for an address the account no longer has (`details.token`)',
        schema: s.errorResponse,
      },
    },
  },
];
