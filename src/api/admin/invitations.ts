/**
 * `POST /api/admin/invitations`: an invitation link to an address (accounts/registration.ts), for an
 * account with the given roles. The answer names the address, the roles and when the link expires;
 * never the link or its token, which only the invited address receives.
 */
import type { Context } from 'koa';
import type { Registration } from '../../accounts/registration';
import { createInvitationBody } from '../invitation-schemas';
import { validateBody } from '../validation';

export function createInvitation(deps: { registration: Pick<Registration, 'invite'> }) {
  return async function createInvitation(ctx: Context): Promise<void> {
    const body = validateBody(ctx, createInvitationBody);
    const invitation = await deps.registration.invite({ email: body.email, roles: body.roles ?? [] });
    ctx.status = 201;
    ctx.body = {
      email: invitation.email,
      roles: invitation.roles,
      expires_at: invitation.expiresAt.toISOString(),
    };
  };
}
