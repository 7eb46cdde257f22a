/**
 * /api/account/consents: what the caller allowed third-party clients (remembered consent,
 * accounts/consents.ts), and taking it back. Revoking a consent ends that client's grants, their
 * access and refresh tokens and the client's part of the caller's sessions, in one transaction: the
 * client's next authorization request asks again.
 */
import type { Context } from 'koa';
import type { z } from 'zod';
import type { Consent, ConsentStore } from '../../accounts/consents';
import { notFound } from '../../errors';
import { authOf } from '../bearer';
import type { consentResponse } from './consent-schemas';

function consentView(consent: Consent): z.infer<typeof consentResponse> {
  return {
    client_id: consent.clientId,
    client_name: consent.clientName,
    scopes: consent.scopes,
    granted_at: consent.grantedAt.toISOString(),
  };
}

/** The caller's consents, the most recently widened first. */
export function listConsents({ consents }: { consents: Pick<ConsentStore, 'list'> }) {
  return async function listConsents(ctx: Context): Promise<void> {
    ctx.body = (await consents.list(authOf(ctx).account.id)).map(consentView);
  };
}

/**
 * Takes a consent back. An unknown client and a client never allowed read the same (404), as does an
 * id no client can have (over-long): the store looks nothing up for it.
 */
export function revokeConsent({ consents }: { consents: Pick<ConsentStore, 'revoke'> }) {
  return async function revokeConsent(ctx: Context): Promise<void> {
    if (!(await consents.revoke(authOf(ctx).account.id, String(ctx.params.clientId))))
      throw notFound('no consent for this client');
    ctx.status = 204;
  };
}
