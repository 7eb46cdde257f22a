/**
 * The seed-compatible integrator routes (the `integrator` tag): /api/request-otp for anyone, the two
 * token routes for a holder of a client's X-Service-Key, answered by the provider's token endpoint.
 */
import * as s from '../integrator-schemas';
import { INTEGRATOR_PATHS } from '../paths';
import type { RouteSpec } from './route';

const tooMany = (what: string) => ({
  429: { description: `${what}; \`Retry-After\` says when to retry`, schema: s.oauthErrorResponse },
});

/** What the token endpoint answers to a grant request (RFC 6749 §5.1, §5.2). */
const tokenAnswers = {
  200: { description: 'the tokens (RFC 6749 §5.1)', schema: s.tokenResponse },
  400: {
    description:
      'the grant request is refused (RFC 6749 §5.2: invalid_request, invalid_grant, invalid_scope, ' +
      'unauthorized_client), or a field is not a string (`details` names it)',
    schema: s.oauthErrorResponse,
  },
  401: {
    description: 'no X-Service-Key, or not a valid one (invalid_client, `WWW-Authenticate: X-Service-Key`)',
    schema: s.oauthErrorResponse,
  },
  ...tooMany('too many token requests from this source'),
};

export const INTEGRATOR_ROUTES: RouteSpec[] = [
  {
    method: 'post',
    path: INTEGRATOR_PATHS.requestOtp,
    operationId: 'requestOtp',
    summary:
      'Sends a one-time code to the account with this username, if there is one; the answer is the ' +
      'same either way',
    access: 'public',
    tag: 'integrator',
    body: s.requestOtpBody,
    responses: {
      202: { description: 'accepted (sent in the background)', schema: s.otpRequestedResponse },
      ...tooMany('too many codes requested from this source or for this username'),
    },
  },
  {
    method: 'post',
    path: INTEGRATOR_PATHS.passwordToken,
    operationId: 'exchangePassword',
    summary: "The password grant (RFC 6749 §4.3) as the service key's client",
    access: 'service-key',
    tag: 'integrator',
    body: s.passwordTokenBody,
    responses: tokenAnswers,
  },
  {
    method: 'post',
    path: INTEGRATOR_PATHS.otpToken,
    operationId: 'exchangeOtp',
    summary: "The one-time-code grant as the service key's client",
    access: 'service-key',
    tag: 'integrator',
    body: s.otpTokenBody,
    responses: tokenAnswers,
  },
];
