/**
 * The caller's own account under the scope `account` (Gatehouse's own applications): the profile,
 * the password, and the browsers signed in. Second factors are in user-routes.ts.
 */
import * as b from '../account/schemas';
import { USER_PATHS } from '../paths';
import * as s from '../schemas';
import { noContent, type RouteSpec } from './route';

const account = { access: 'bearer', scope: 'account', tag: 'account' } as const;

export const ACCOUNT_ROUTES: RouteSpec[] = [
  {
    method: 'get',
    path: USER_PATHS.account,
    operationId: 'getAccount',
    summary: "The caller's profile (as GET /api/profile)",
    ...account,
    responses: { 200: { description: 'the profile', schema: s.profileResponse } },
  },
  {
    method: 'put',
    path: USER_PATHS.account,
    operationId: 'updateAccount',
    summary:
      'Updates the editable profile fields, as PUT /api/profile (a changed email or phone becomes ' +
      'unverified; a changed email is sent a verification link)',
    ...account,
    body: s.updateProfileBody,
    responses: {
      200: { description: 'the updated profile', schema: s.profileResponse },
      404: { description: 'the account no longer exists', schema: s.errorResponse },
    },
  },
  {
    method: 'post',
    path: USER_PATHS.accountPassword,
    operationId: 'changePassword',
    summary:
      'Changes the password, proven by the current one (counted like a sign-in); every other session, ' +
      "grant and token of the account is revoked, the caller's own token and its session stay",
    ...account,
    body: b.changePasswordBody,
    responses: {
      ...noContent,
      400: {
        description:
          'the current password is wrong (`details.current_password`), or the new one breaks the rules ' +
          '(`details.new_password`); nothing changed',
        schema: s.errorResponse,
      },
      429: { description: 'too many wrong passwords: locked, see Retry-After', schema: s.errorResponse },
    },
  },
  {
    method: 'get',
    path: USER_PATHS.accountSessions,
    operationId: 'listSessions',
    summary: "The caller's signed-in browser sessions, most recently seen first",
    ...account,
    responses: { 200: { description: 'the sessions', schema: b.sessionListResponse } },
  },
  {
    method: 'delete',
    path: USER_PATHS.accountSession,
    operationId: 'revokeSession',
    summary: "Signs one of the caller's sessions out and revokes its grants' access and refresh tokens",
    ...account,
    responses: {
      ...noContent,
      404: { description: 'no such session of this account', schema: s.errorResponse },
    },
  },
];
