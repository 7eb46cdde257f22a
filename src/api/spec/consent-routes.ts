/** The routes of the caller's remembered consents (the `account` tag, scope `account`). */
import * as c from '../account/consent-schemas';
import { USER_PATHS } from '../paths';
import * as s from '../schemas';
import { noContent, type RouteSpec } from './route';

export const CONSENT_ROUTES: RouteSpec[] = [
  {
    method: 'get',
    path: USER_PATHS.accountConsents,
    operationId: 'listConsents',
    summary:
      'What the caller allowed third-party clients (remembered across sessions), the most recently widened first',
    access: 'bearer',
    scope: 'account',
    tag: 'account',
    responses: { 200: { description: 'the consents', schema: c.consentListResponse } },
  },
  {
    method: 'delete',
    path: USER_PATHS.accountConsent,
    operationId: 'revokeConsent',
    summary:
      "Takes a consent back: that client's grants, access and refresh tokens are revoked and it leaves the " +
      "caller's sessions; its next authorization request asks for consent again",
    access: 'bearer',
    scope: 'account',
    tag: 'account',
    responses: {
      ...noContent,
      404: { description: 'no consent for this client (or no such client)', schema: s.errorResponse },
    },
  },
];
