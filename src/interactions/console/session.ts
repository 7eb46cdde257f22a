/**
 * The console's own session: a signed cookie scoped to /admin (the host's keys, the persisted cookie
 * keys, so any node reads it) naming the account and the grant its sign-in created, and when it was
 * last used. It ends after ADMIN_SESSION_TTL without a request (idle; every page renews it), when
 * its grant is gone (sign-out, or the grant revoked anywhere), or when the account is disabled,
 * removed or no longer an admin: all checked on every request, so no node trusts a stale cookie.
 */
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import type { Account, AccountStore } from '../../accounts/store';
import { setActor } from '../../audit/context';
import { grantExists } from '../../oidc/internals';
import { CONSOLE_PATHS } from './client';

const SESSION_COOKIE = 'gatehouse.admin';

/** The role the console is for, as the admin API requires it. */
export const CONSOLE_ROLE = 'admin';

export interface ConsoleSessionOptions {
  provider: Provider;
  accounts: Pick<AccountStore, 'findById'>;
  issuer: string;
  /** ADMIN_SESSION_TTL: the idle lifetime. */
  sessionTtlSeconds: number;
}

interface Stored {
  /** The account. */
  a: string;
  /** The grant of the sign-in. */
  g: string;
  /** Last used, in seconds since the epoch. */
  t: number;
}

export interface ConsoleSession {
  account: Account;
  grantId: string;
}

export function cookieOptions(ctx: Context, issuer: string, maxAgeMs: number) {
  const secure = issuer.startsWith('https://');
  // Behind a TLS terminator the hop is http; the issuer decides (as oidc/https-issuer.ts does).
  if (secure) ctx.cookies.secure = true;
  return {
    signed: true,
    httpOnly: true,
    sameSite: 'strict' as const,
    path: CONSOLE_PATHS.root,
    secure,
    maxAge: maxAgeMs,
    overwrite: true,
  };
}

function parse(value: string | undefined): Stored | null {
  if (!value || value.length > 1024) return null;
  try {
    const stored = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<Stored>;
    if (typeof stored.a !== 'string' || typeof stored.g !== 'string' || typeof stored.t !== 'number')
      return null;
    return stored as Stored;
  } catch {
    return null;
  }
}

function write(ctx: Context, options: ConsoleSessionOptions, stored: Stored): void {
  const value = Buffer.from(JSON.stringify(stored)).toString('base64url');
  ctx.cookies.set(
    SESSION_COOKIE,
    value,
    cookieOptions(ctx, options.issuer, options.sessionTtlSeconds * 1000),
  );
}

export function startConsoleSession(
  ctx: Context,
  options: ConsoleSessionOptions,
  session: { accountId: string; grantId: string },
): void {
  write(ctx, options, { a: session.accountId, g: session.grantId, t: Math.floor(Date.now() / 1000) });
}

export function endConsoleSession(ctx: Context, options: ConsoleSessionOptions): void {
  ctx.cookies.set(SESSION_COOKIE, null, cookieOptions(ctx, options.issuer, 0));
}

/** The signed-in administrator, renewing the idle deadline; null (and the cookie cleared) otherwise. */
export async function consoleSession(
  ctx: Context,
  options: ConsoleSessionOptions,
): Promise<ConsoleSession | null> {
  const stored = parse(ctx.cookies.get(SESSION_COOKIE, { signed: true }));
  if (!stored) return null;
  const now = Math.floor(Date.now() / 1000);
  const fresh = now - stored.t <= options.sessionTtlSeconds && stored.t <= now + 60;
  const account = fresh ? await options.accounts.findById(stored.a) : null;
  const valid =
    account !== null &&
    !account.disabled &&
    account.roles.includes(CONSOLE_ROLE) &&
    (await grantExists(options.provider, stored.g));
  if (!valid) {
    endConsoleSession(ctx, options);
    return null;
  }
  write(ctx, options, { ...stored, t: now });
  // What the administrator changes is theirs in the audit trail, as through the admin API.
  setActor({ type: 'account', id: account!.id });
  return { account: account!, grantId: stored.g };
}
