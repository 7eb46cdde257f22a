/**
 * `POST /api/admin/registration-tokens`: an initial access token for dynamic client registration
 * (RFC 7591 §3, CLIENT_REGISTRATION=token), the same as `gatehouse client registration-token create`.
 * The token is in this answer only (no-store); nothing shows it again.
 */
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import type { Config } from '../../config';
import type { Database } from '../../db/database';
import { GatehouseError } from '../../errors';
import { createRegistrationToken as saveRegistrationToken } from '../../oidc/registration-tokens';
import { createRegistrationTokenBody } from '../registration-token-schemas';
import { validateBody } from '../validation';

export interface RegistrationTokenDeps {
  provider: Provider;
  config: Pick<Config, 'clientRegistration'>;
  /** Where the token's creation is recorded (registration_token.created). */
  db: Database;
}

export function createRegistrationToken(deps: RegistrationTokenDeps) {
  return async function createRegistrationToken(ctx: Context): Promise<void> {
    const body = validateBody(ctx, createRegistrationTokenBody);
    if (deps.config.clientRegistration === 'off')
      throw new GatehouseError(
        'conflict',
        409,
        'client registration is off (CLIENT_REGISTRATION=off): no token would be accepted',
      );
    const { token, expiresAt } = await saveRegistrationToken(deps.provider, {
      audit: deps.db,
      ...(body.expires_in === undefined ? {} : { expiresIn: body.expires_in }),
    });
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { token, expires_at: expiresAt.toISOString() };
  };
}
