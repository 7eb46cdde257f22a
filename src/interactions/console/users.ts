/**
 * The console's users: a list searched by username prefix (keyset pages, as GET /api/admin/users),
 * one user's page, and disabling or enabling them. Each change is the store's own
 * (AccountStore.setDisabled: a disabled account cannot sign in, and the bearer check refuses its
 * tokens at once), so the console and the admin API cannot differ on what it does.
 */
import type { Context } from 'koa';
import type { AccountStore } from '../../accounts/store';
import { MAX_USERNAME_LENGTH } from '../../accounts/username';
import { isStorableText } from '../../db/text';
import { notFound } from '../../errors';
import type { ConsoleSession } from './session';

/** A page of the list; one more row is read to tell whether another page follows. */
export const USERS_PAGE_SIZE = 50;

export const USER_PATHS = {
  list: '/admin/users',
  show: '/admin/users/:id',
  disable: '/admin/users/:id/disable',
  enable: '/admin/users/:id/enable',
} as const;

export const userPath = (path: string, id: string) => path.replace(':id', encodeURIComponent(id));

/** What a redirect back to a user's page may announce (`?done=`): a fixed list, never free text. */
export const USER_NOTICES = {
  disabled: 'admin.users.notice.disabled',
  enabled: 'admin.users.notice.enabled',
} as const;

/** A query value as the list takes it: a string of a username's length, or nothing. */
function queryText(ctx: Context, name: string): string {
  const value = ctx.query[name];
  if (typeof value !== 'string') return '';
  const trimmed = value.trim();
  return trimmed.length <= MAX_USERNAME_LENGTH && isStorableText(trimmed) ? trimmed : '';
}

export async function userListLocals(ctx: Context, accounts: Pick<AccountStore, 'list'>) {
  const q = queryText(ctx, 'q');
  const after = queryText(ctx, 'after');
  const rows = await accounts.list({
    ...(q ? { prefix: q } : {}),
    ...(after ? { after } : {}),
    limit: USERS_PAGE_SIZE + 1,
  });
  const page = rows.slice(0, USERS_PAGE_SIZE);
  const last = page[page.length - 1];
  const next =
    rows.length > USERS_PAGE_SIZE && last
      ? `${USER_PATHS.list}?${new URLSearchParams({ ...(q ? { q } : {}), after: last.username }).toString()}`
      : null;
  return {
    q,
    next,
    users: page.map((account) => ({
      username: account.username,
      email: account.email,
      roles: account.roles,
      disabled: account.disabled,
      href: userPath(USER_PATHS.show, account.id),
    })),
  };
}

export async function loadUser(ctx: Context, accounts: Pick<AccountStore, 'findById'>) {
  const id = ctx.params.id;
  const account = typeof id === 'string' && id.length <= 64 ? await accounts.findById(id) : null;
  if (!account) throw notFound('no such user');
  return account;
}

export function userLocals(account: Awaited<ReturnType<typeof loadUser>>, session: ConsoleSession) {
  return {
    user: {
      username: account.username,
      email: account.email,
      givenName: account.givenName,
      familyName: account.familyName,
      roles: account.roles,
      disabled: account.disabled,
      createdAt: account.createdAt.toISOString(),
      // An administrator does not lock themselves out of the console from it.
      self: account.id === session.account.id,
      disableAction: userPath(USER_PATHS.disable, account.id),
      enableAction: userPath(USER_PATHS.enable, account.id),
    },
  };
}
