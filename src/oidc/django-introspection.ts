/**
 * Introspection as django-oauth-toolkit's resource servers read it: DOT's
 * OAuth2Validator._get_token_from_authentication_server (oauth2_provider/oauth2_validators.py) POSTs
 * `token` to RESOURCE_SERVER_INTROSPECTION_URL and reads `active`, `scope`, `exp` and `username`,
 * the last to find or create the Django user the request then runs as. RFC 7662 §2.2 lists
 * `username` as "a human-readable identifier for the resource owner"; the provider's answer has
 * `sub` and not it, so through the `/o/` surface the account's username is added to an active
 * token's answer: one primary-key read, on this path only.
 */
import type { Context, Next } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AccountStore } from '../accounts/store';
import { cameThroughDjangoPaths } from './django-paths';

type IntrospectionBody = { active?: unknown; username?: string };

export function addDjangoUsername(accounts: Pick<AccountStore, 'findById'>) {
  return async function addDjangoUsername(ctx: Context, next: Next): Promise<void> {
    await next();
    if (!cameThroughDjangoPaths(ctx) || ctx.status !== 200) return;
    const { oidc } = ctx as Context & { oidc?: KoaContextWithOIDC['oidc'] };
    if (oidc?.route !== 'introspection') return;
    const body = ctx.body as IntrospectionBody | null | undefined;
    if (typeof body !== 'object' || body?.active !== true) return;
    // A client-credentials token has no account, and DOT then sets no user either.
    const { AccessToken: accessToken, RefreshToken: refreshToken } = oidc.entities;
    const accountId = (accessToken ?? refreshToken)?.accountId;
    if (!accountId) return;
    const account = await accounts.findById(accountId);
    if (account) body.username = account.username;
  };
}
