/**
 * Administration of accounts: list (keyset pages by username, optional prefix), create, read,
 * update the profile, delete, replace roles, set a password, disable/enable, unlock a throttled name,
 * show and reset the second factors.
 * Answers never contain password hashes (the views pick fields; the store never returns the hash).
 */
import type { Context } from 'koa';
import type { MfaStore } from '../../accounts/mfa/store';
import type { Account, AccountStore, ProfileInput } from '../../accounts/store';
import { badRequest, conflict, notFound } from '../../errors';
import type { Logger } from '../../log';
import { mfaSummaryView } from '../account-mfa-view';
import { authOf } from '../bearer';
import type { AccountReader, RoleChecker } from '../deps';
import { createUserBody, listUsersQuery, setPasswordBody, setRolesBody, updateUserBody } from '../schemas';
import { validateBody, validateQuery } from '../validation';
import { userView } from '../views';

/**
 * A handler of one user (the one the path names): it loads the account by id, and may use the store
 * members `K` besides.
 */
type UserDeps<K extends keyof AccountStore = never> = { accounts: AccountReader & Pick<AccountStore, K> };

async function loadUser({ accounts }: UserDeps, ctx: Context): Promise<Account> {
  const account = await accounts.findById(String(ctx.params.id));
  if (!account) throw notFound('no such user');
  return account;
}

async function assertRolesExist(roles: RoleChecker, names: string[]): Promise<void> {
  const known = new Set(await roles.exists(names));
  const unknown = names.filter((role) => !known.has(role));
  if (unknown.length)
    throw badRequest('the request is invalid', { roles: `unknown role: ${unknown.join(', ')}` });
}

/** The profile fields of a create or update body, in the store's names. */
function profileInput(body: {
  email?: string | null | undefined;
  email_verified?: boolean | undefined;
  given_name?: string | null | undefined;
  family_name?: string | null | undefined;
  phone_number?: string | null | undefined;
  phone_number_verified?: boolean | undefined;
  locale?: string | null | undefined;
}): ProfileInput {
  return {
    email: body.email,
    emailVerified: body.email_verified,
    givenName: body.given_name,
    familyName: body.family_name,
    phoneNumber: body.phone_number,
    phoneNumberVerified: body.phone_number_verified,
    locale: body.locale,
  };
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === '23505';
}

export function listUsers({ accounts }: { accounts: Pick<AccountStore, 'list'> }) {
  return async function listUsers(ctx: Context): Promise<void> {
    const query = validateQuery(ctx, listUsersQuery);
    // One more than a page tells whether another page follows.
    const rows = await accounts.list({
      prefix: query.prefix,
      after: query.cursor,
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    ctx.body = {
      users: page.map(userView),
      next_cursor: rows.length > query.limit ? page[page.length - 1]!.username : null,
    };
  };
}

export function createUser(deps: {
  accounts: Pick<AccountStore, 'findByUsername' | 'create'>;
  roles: RoleChecker;
}) {
  return async function createUser(ctx: Context): Promise<void> {
    const body = validateBody(ctx, createUserBody);
    if (body.roles?.length) await assertRolesExist(deps.roles, body.roles);
    if (await deps.accounts.findByUsername(body.username)) throw conflict('the username is taken');
    try {
      const account = await deps.accounts.create({
        username: body.username,
        password: body.password,
        ...profileInput(body),
        roles: body.roles ? [...new Set(body.roles)] : undefined,
        disabled: body.disabled,
      });
      ctx.status = 201;
      ctx.set('Location', `/api/admin/users/${account.id}`);
      ctx.body = userView(account);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('the username is taken');
      throw err;
    }
  };
}

export function getUser(deps: UserDeps) {
  return async function getUser(ctx: Context): Promise<void> {
    ctx.body = userView(await loadUser(deps, ctx));
  };
}

export function updateUser(
  deps: UserDeps<'updateProfile'> & {
    /** A changed address gets a verification link, unless the administrator marked it verified. */
    emailVerification: { request(account: Account): Promise<void> };
  },
) {
  return async function updateUser(ctx: Context): Promise<void> {
    const account = await loadUser(deps, ctx);
    const body = validateBody(ctx, updateUserBody);
    if (Object.keys(body).length === 0) throw badRequest('the body names no field to update');
    const input = profileInput(body);
    // A changed email or phone is unverified unless the administrator says otherwise.
    if (body.email !== undefined && body.email !== account.email && body.email_verified === undefined)
      input.emailVerified = false;
    if (
      body.phone_number !== undefined &&
      body.phone_number !== account.phoneNumber &&
      body.phone_number_verified === undefined
    )
      input.phoneNumberVerified = false;
    const updated = await deps.accounts.updateProfile(account.id, input);
    if (!updated) throw notFound('no such user');
    // request() sends nothing for an address the administrator set verified in this request.
    if (body.email !== undefined && body.email !== account.email)
      void deps.emailVerification.request(updated);
    ctx.body = userView(updated);
  };
}

export function deleteUser(deps: UserDeps<'delete'>) {
  return async function deleteUser(ctx: Context): Promise<void> {
    const account = await loadUser(deps, ctx);
    await deps.accounts.delete(account.id);
    ctx.status = 204;
  };
}

export function setUserRoles(deps: UserDeps<'setRoles'> & { roles: RoleChecker }) {
  return async function setUserRoles(ctx: Context): Promise<void> {
    const account = await loadUser(deps, ctx);
    const body = validateBody(ctx, setRolesBody);
    const roles = [...new Set(body.roles)];
    await assertRolesExist(deps.roles, roles);
    if (!(await deps.accounts.setRoles(account.id, roles))) throw notFound('no such user');
    ctx.body = userView((await deps.accounts.findById(account.id))!);
  };
}

export function setUserPassword(deps: UserDeps<'setPassword'>) {
  return async function setUserPassword(ctx: Context): Promise<void> {
    const account = await loadUser(deps, ctx);
    const body = validateBody(ctx, setPasswordBody);
    if (!(await deps.accounts.setPassword(account.id, body.password))) throw notFound('no such user');
    ctx.status = 204;
  };
}

function setDisabled(deps: UserDeps<'setDisabled'>, disabled: boolean) {
  return async (ctx: Context): Promise<void> => {
    const account = await loadUser(deps, ctx);
    await deps.accounts.setDisabled(account.id, disabled);
    ctx.body = userView((await deps.accounts.findById(account.id))!);
  };
}

/** A disabled account cannot sign in, and its tokens stop working at once (the bearer check). */
export function disableUser(deps: UserDeps<'setDisabled'>) {
  const handler = setDisabled(deps, true);
  return async function disableUser(ctx: Context): Promise<void> {
    await handler(ctx);
  };
}

export function enableUser(deps: UserDeps<'setDisabled'>) {
  const handler = setDisabled(deps, false);
  return async function enableUser(ctx: Context): Promise<void> {
    await handler(ctx);
  };
}

/** Clears the sign-in throttle of the user's name (a lockout after repeated failures). */
export function unlockUser(deps: UserDeps<'throttle'>) {
  return async function unlockUser(ctx: Context): Promise<void> {
    const account = await loadUser(deps, ctx);
    await deps.accounts.throttle.reset(account.username);
    ctx.status = 204;
  };
}

/** The user's second factors, as the account itself sees them (never a secret). */
export function getUserMfa(deps: UserDeps & { mfa: Pick<MfaStore, 'summary'> }) {
  return async function getUserMfa(ctx: Context): Promise<void> {
    const account = await loadUser(deps, ctx);
    ctx.body = mfaSummaryView(await deps.mfa.summary(account.id));
  };
}

/**
 * The reset for a person who lost every factor: removes them all and revokes the account's sessions,
 * grants and tokens (whoever holds a session of the account now has to sign in again). Audited: one
 * line naming the account and the administrator who did it.
 */
export function resetUserMfa(deps: UserDeps & { mfa: Pick<MfaStore, 'reset'>; logger: Logger }) {
  return async function resetUserMfa(ctx: Context): Promise<void> {
    const account = await loadUser(deps, ctx);
    const removed = await deps.mfa.reset(account.id);
    deps.logger.info(
      { event: 'mfa.reset', account_id: account.id, actor: authOf(ctx).account.id, removed },
      'second factors reset',
    );
    ctx.status = 204;
  };
}
