/**
 * An account's sessions (src/oidc/sessions.ts) on the rows the adapter writes: listed with their
 * activity (or their sign-in time without it), live ones only; one revoked with exactly its grants'
 * tokens, once of any number of racing callers, never another account's; everything of an account
 * revoked but one session and one grant (a password change); orphaned activity purged. And the
 * activity upsert of session-activity.ts: one write per minute at most, created_at set once.
 */
import { randomUUID } from 'node:crypto';
import { purgeOnce } from '../../src/jobs/purge';
import { upsertPayload } from '../../src/oidc/payloads';
import { ACTIVITY_RESOLUTION_MS, recordActivity, storableUserAgent } from '../../src/oidc/session-activity';
import { AccountSessions, revokeAccountStateExcept } from '../../src/oidc/sessions';
import { itAcrossPools, storeContract } from './harness';

const contract = storeContract((db) => new AccountSessions(db));

const HOUR = 3600 * 1000;

async function anAccount(): Promise<string> {
  const id = randomUUID();
  await contract.db('accounts').insert({ id, username: `s-${id}`, password_hash: 'x' });
  return id;
}

/** A row as the adapter writes it (adapter.ts upsert). */
async function aRow(
  model: string,
  payload: Record<string, unknown> & { accountId?: string; grantId?: string; uid?: string },
  expiresAt: Date | null = new Date(Date.now() + HOUR),
): Promise<string> {
  const id = randomUUID();
  await upsertPayload(contract.db, {
    model,
    id,
    json: JSON.stringify({ jti: id, kind: model, ...payload }),
    grantId: payload.grantId ?? null,
    uid: payload.uid ?? null,
    userCode: null,
    accountId: payload.accountId ?? null,
    expiresAt,
  });
  return id;
}

/** A grant for a client with an access token, a refresh token and a code under it. */
async function aGrant(accountId: string, clientId: string) {
  const grantId = await aRow('Grant', { accountId, clientId });
  const tokens = [
    await aRow('AccessToken', { accountId, clientId, grantId }),
    await aRow('RefreshToken', { accountId, clientId, grantId }),
    await aRow('AuthorizationCode', { accountId, clientId, grantId }),
  ];
  return { grantId, tokens };
}

/** A signed-in session of the account, with an authorization (sid and grant) per client given. */
async function aSession(
  accountId: string,
  grants: Record<string, string> = {},
  options: { loginTs?: number; expiresAt?: Date | null } = {},
) {
  const uid = randomUUID();
  const authorizations = Object.fromEntries(
    Object.entries(grants).map(([clientId, grantId]) => [clientId, { sid: randomUUID(), grantId }]),
  );
  const loginTs = options.loginTs ?? Math.floor(Date.now() / 1000) - 100;
  const id = await aRow('Session', { accountId, uid, loginTs, authorizations }, options.expiresAt);
  return { id, uid };
}

async function ids(model?: string): Promise<string[]> {
  const query = contract.db('oidc_payloads').select('id');
  if (model) query.where('model', model);
  return (await query).map((row: { id: string }) => row.id);
}

async function activityOf(uid: string) {
  return contract.db('session_activity').where('session_uid', uid).first();
}

describe('list', () => {
  it("lists the account's live sessions with their activity, else their sign-in time", async () => {
    const accountId = await anAccount();
    const web = await aGrant(accountId, 'web');
    const seen = await aSession(accountId, { web: web.grantId, spa: 'g-spa' });
    const loginTs = Math.floor(Date.now() / 1000) - 5000;
    const silent = await aSession(accountId, {}, { loginTs });
    await aSession(accountId, {}, { expiresAt: new Date(Date.now() - 1000) });
    await aSession(await anAccount());
    const createdAt = new Date(Date.now() - 2 * HOUR);
    const lastSeenAt = new Date(Date.now() - 60_000);
    await contract.db('session_activity').insert({
      session_uid: seen.uid,
      account_id: accountId,
      user_agent: 'Firefox',
      created_at: createdAt,
      last_seen_at: lastSeenAt,
    });

    expect(await contract.store.list(accountId)).toEqual([
      { id: seen.uid, createdAt, lastSeenAt, userAgent: 'Firefox', clientIds: ['spa', 'web'] },
      {
        id: silent.uid,
        createdAt: new Date(loginTs * 1000),
        lastSeenAt: new Date(loginTs * 1000),
        userAgent: null,
        clientIds: [],
      },
    ]);
  });

  it('lists nothing for an account without sessions', async () => {
    expect(await contract.store.list(await anAccount())).toEqual([]);
  });
});

describe('revoke', () => {
  it("ends the session and its grants' tokens, and nothing else", async () => {
    const accountId = await anAccount();
    const web = await aGrant(accountId, 'web');
    const spa = await aGrant(accountId, 'spa');
    const kept = await aGrant(accountId, 'web');
    const session = await aSession(accountId, { web: web.grantId, spa: spa.grantId });
    const other = await aSession(accountId, { web: kept.grantId });
    await recordActivity(contract.db, { sessionUid: session.uid, accountId, userAgent: 'A' });
    await recordActivity(contract.db, { sessionUid: other.uid, accountId, userAgent: 'B' });
    const stranger = await anAccount();
    const theirs = await aGrant(stranger, 'web');
    const theirSession = await aSession(stranger, { web: theirs.grantId });
    const before = await ids();

    expect(await contract.store.revoke(accountId, session.uid)).toBe(true);

    const gone = [session.id, web.grantId, ...web.tokens, spa.grantId, ...spa.tokens];
    expect((await ids()).sort()).toEqual(before.filter((id) => !gone.includes(id)).sort());
    expect(await ids()).toEqual(
      expect.arrayContaining([other.id, kept.grantId, ...kept.tokens, theirSession.id, theirs.grantId]),
    );
    expect(await activityOf(session.uid)).toBeUndefined();
    expect(await activityOf(other.uid)).toBeDefined();
    expect((await contract.store.list(accountId)).map((s) => s.id)).toEqual([other.uid]);
    expect(await contract.store.revoke(accountId, session.uid)).toBe(false);
  });

  it("treats another account's session, an expired one and junk as unknown", async () => {
    const accountId = await anAccount();
    const stranger = await anAccount();
    const theirs = await aSession(stranger);
    const expired = await aSession(accountId, {}, { expiresAt: new Date(Date.now() - 1000) });
    expect(await contract.store.revoke(accountId, theirs.uid)).toBe(false);
    expect(await contract.store.revoke(accountId, theirs.id)).toBe(false);
    expect(await contract.store.revoke(accountId, expired.uid)).toBe(false);
    for (const junk of ['', 'nope', '\u0000', '\ud800', 'x'.repeat(300), "' or 1=1 --"])
      expect(await contract.store.revoke(accountId, junk)).toBe(false);
    expect((await contract.store.list(stranger)).map((s) => s.id)).toEqual([theirs.uid]);
  });

  it('revokes once of any number of racing callers', async () => {
    const accountId = await anAccount();
    const session = await aSession(accountId, { web: (await aGrant(accountId, 'web')).grantId });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => contract.store.revoke(accountId, session.uid)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  itAcrossPools('revokes once when two nodes race', async () => {
    const accountId = await anAccount();
    const session = await aSession(accountId, { web: (await aGrant(accountId, 'web')).grantId });
    const results = await Promise.all([
      contract.store.revoke(accountId, session.uid),
      contract.other!.revoke(accountId, session.uid),
    ]);
    expect(results.sort()).toEqual([false, true]);
  });
});

describe('revokeAccountStateExcept', () => {
  it('deletes every session, grant and token of the account but the kept session and grant', async () => {
    const accountId = await anAccount();
    const kept = await aGrant(accountId, 'cli');
    const web = await aGrant(accountId, 'web');
    const spa = await aGrant(accountId, 'spa');
    const here = await aSession(accountId, { web: web.grantId });
    const elsewhere = await aSession(accountId, { spa: spa.grantId });
    await recordActivity(contract.db, { sessionUid: here.uid, accountId, userAgent: 'here' });
    await recordActivity(contract.db, { sessionUid: elsewhere.uid, accountId, userAgent: 'there' });
    const stranger = await anAccount();
    const theirs = await aGrant(stranger, 'web');
    const theirSession = await aSession(stranger, { web: theirs.grantId });

    const deleted = await contract.db.transaction((trx) =>
      revokeAccountStateExcept(trx, accountId, { sessionUid: here.uid, grantId: kept.grantId }),
    );

    expect(deleted).toBe(9);
    const left = await ids();
    expect(left).toEqual(
      expect.arrayContaining([here.id, kept.grantId, ...kept.tokens, theirSession.id, theirs.grantId]),
    );
    for (const id of [elsewhere.id, web.grantId, ...web.tokens, spa.grantId, ...spa.tokens])
      expect(left).not.toContain(id);
    expect(await activityOf(here.uid)).toBeDefined();
    expect(await activityOf(elsewhere.uid)).toBeUndefined();
  });

  it('deletes everything of the account when nothing is kept', async () => {
    const accountId = await anAccount();
    const web = await aGrant(accountId, 'web');
    await aSession(accountId, { web: web.grantId });
    await contract.db.transaction((trx) => revokeAccountStateExcept(trx, accountId, {}));
    expect(await contract.db('oidc_payloads').where('account_id', accountId)).toEqual([]);
  });
});

describe('activity', () => {
  it('is written at most once a minute per session, keeping when it was first seen', async () => {
    const accountId = await anAccount();
    const { uid } = await aSession(accountId);
    const first = new Date(Date.now() - 10 * 60_000);
    await recordActivity(contract.db, { sessionUid: uid, accountId, userAgent: 'one' }, first);
    const soon = new Date(first.getTime() + ACTIVITY_RESOLUTION_MS / 2);
    await recordActivity(contract.db, { sessionUid: uid, accountId, userAgent: 'two' }, soon);
    expect(await activityOf(uid)).toMatchObject({
      created_at: first,
      last_seen_at: first,
      user_agent: 'one',
    });

    const later = new Date(first.getTime() + ACTIVITY_RESOLUTION_MS + 1);
    await recordActivity(contract.db, { sessionUid: uid, accountId, userAgent: null }, later);
    expect(await activityOf(uid)).toMatchObject({
      created_at: first,
      last_seen_at: later,
      user_agent: 'one',
    });
  });

  it('stores a user agent cut to 512 characters, and none that cannot be stored', () => {
    expect(storableUserAgent(undefined)).toBeNull();
    expect(storableUserAgent('')).toBeNull();
    expect(storableUserAgent('a\u0000b')).toBeNull();
    expect(storableUserAgent('é'.repeat(600))).toBe('é'.repeat(512));
    // A pair is one character: cut after 511 letters it stays whole.
    expect(storableUserAgent(`${'a'.repeat(511)}😀b`)).toBe(`${'a'.repeat(511)}😀`);
  });

  it('is purged once its session is gone, and not while it is recent', async () => {
    const accountId = await anAccount();
    const live = await aSession(accountId);
    const old = new Date(Date.now() - HOUR);
    await recordActivity(contract.db, { sessionUid: live.uid, accountId, userAgent: null }, old);
    await recordActivity(contract.db, { sessionUid: 'gone-old', accountId, userAgent: null }, old);
    await recordActivity(contract.db, { sessionUid: 'gone-just-now', accountId, userAgent: null });

    await purgeOnce(contract.db);

    const left = await contract.db('session_activity').where('account_id', accountId).pluck('session_uid');
    expect(left.sort()).toEqual(['gone-just-now', live.uid].sort());
  });
});
