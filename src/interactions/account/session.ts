/**
 * Who is signed in on the account pages: the provider session of this browser (oidc/internals.ts
 * signedInSession) and its account, which must still exist and be enabled. A post must also carry
 * the form token of that session (csrf.ts), in the form or, for the passkey script's JSON posts, in
 * the body's `csrf` member or an `X-CSRF-Token` header.
 */
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import type { Account, AccountStore } from '../../accounts/store';
import { GatehouseError } from '../../errors';
import { bodyOf } from '../../http/body';
import { signedInSession, type SignedInSession } from '../../oidc/internals';
import { FORM_TOKEN_FIELD, formTokenMatches, refusedFormToken } from './csrf';

export interface AccountSessionDeps {
  provider: Provider;
  accounts: Pick<AccountStore, 'findById'>;
  /** SECRET_KEY: keys the form tokens. */
  secretKey: string;
}

export interface SignedIn {
  session: SignedInSession;
  account: Account;
}

/** The signed-in person, or null: no session, or its account is gone or disabled (sign in again). */
export async function signedIn(ctx: Context, deps: AccountSessionDeps): Promise<SignedIn | null> {
  const session = await signedInSession(deps.provider, ctx);
  if (!session) return null;
  const account = await deps.accounts.findById(session.accountId);
  if (!account || account.disabled) return null;
  return { session, account };
}

/** The form token a post presented: the form field (or JSON member), else the header. */
function presentedToken(ctx: Context): unknown {
  const body = bodyOf(ctx);
  return body[FORM_TOKEN_FIELD] ?? (ctx.get('x-csrf-token') || undefined);
}

/** Throws the 403 unless the post carries the form token of this session. */
export function checkFormToken(ctx: Context, deps: AccountSessionDeps, session: SignedInSession): void {
  if (!formTokenMatches(deps.secretKey, session.uid, presentedToken(ctx))) throw refusedFormToken();
}

/**
 * The check the passkey registration routes (interactions/passkeys.ts AccountPageGuard) run before
 * anything else: signed in (401 otherwise: the script sends the person to the page, which signs in)
 * and the post's form token (403). Its body is parsed already.
 */
export function accountPageGuard(deps: AccountSessionDeps) {
  return {
    async signedInForPost(ctx: Context): Promise<{ id: string; username: string }> {
      const current = await signedIn(ctx, deps);
      if (!current) throw new GatehouseError('access_denied', 401, 'sign in on the account page first');
      checkFormToken(ctx, deps, current.session);
      return { id: current.account.id, username: current.account.username };
    },
  };
}
