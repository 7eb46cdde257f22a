/**
 * The consent store's contract (src/accounts/consents.ts), with the provider-side revocation the node
 * injects (src/oidc/payloads.ts revokeClientState): a consent is found by account and client and by
 * nothing else; remembering widens by union, in one statement, so racing callers lose nothing; a
 * client that is not a row of `clients` stores nothing; revoking deletes the consent together with
 * the grants and tokens of that client and its entry in the account's sessions, and leaves every
 * other client's alone.
 */
import { randomUUID } from 'node:crypto';
import { ConsentStore } from '../../src/accounts/consents';
import { revokeClientState, upsertPayload } from '../../src/oidc/payloads';
import { itAcrossPools, storeContract } from './harness';

const contract = storeContract((db) => new ConsentStore(db, revokeClientState));

async function anAccount(): Promise<string> {
  const id = randomUUID();
  await contract.db('accounts').insert({ id, username: `c-${id}`, password_hash: 'x' });
  return id;
}

let clients = 0;
async function aClient(name: string | null = 'Some App'): Promise<string> {
  clients += 1;
  const clientId = `consent-client-${clients}`;
  const metadata = { client_id: clientId, ...(name && { client_name: name }) };
  await contract.db('clients').insert({ client_id: clientId, metadata: JSON.stringify(metadata) });
  return clientId;
}

const allowed = (scopes: string[], claims: string[] = [], resourceScopes: Record<string, string[]> = {}) => ({
  scopes,
  claims,
  resourceScopes,
});

describe('find, list, remember', () => {
  it('stores a consent and finds it by account and client, with the client name', async () => {
    const accountId = await anAccount();
    const clientId = await aClient('Photo Printer');
    await contract.store.remember(
      accountId,
      clientId,
      allowed(['openid', 'profile', 'offline_access'], ['email'], { 'https://api.example': ['read'] }),
    );
    const consent = await contract.store.find(accountId, clientId);
    expect(consent).toEqual({
      clientId,
      clientName: 'Photo Printer',
      scopes: ['offline_access', 'openid', 'profile'],
      claims: ['email'],
      resourceScopes: { 'https://api.example': ['read'] },
      grantedAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
    expect(await contract.store.find(await anAccount(), clientId)).toBeNull();
    expect(await contract.store.find(accountId, await aClient())).toBeNull();
  });

  it('finds nothing for a key no row can have, without asking the database to fail', async () => {
    const accountId = await anAccount();
    for (const clientId of ['', 'x'.repeat(256), 'a\u0000b', '\ud800'])
      expect(await contract.store.find(accountId, clientId)).toBeNull();
    expect(await contract.store.find('not-a-uuid', 'consent-client-1')).toBeNull();
    expect(await contract.store.list('not-a-uuid')).toEqual([]);
    expect(await contract.store.revoke(accountId, 'x'.repeat(256))).toBe(false);
  });

  it('widens by union: nothing remembered earlier is lost, and updatedAt moves only when widened', async () => {
    const accountId = await anAccount();
    const clientId = await aClient();
    await contract.store.remember(
      accountId,
      clientId,
      allowed(['openid', 'profile'], ['email'], { 'https://a.example': ['read'] }),
    );
    const first = (await contract.store.find(accountId, clientId))!;
    await contract.store.remember(
      accountId,
      clientId,
      allowed(['openid', 'email'], ['phone_number'], {
        'https://a.example': ['write'],
        'https://b.example': ['x'],
      }),
    );
    const widened = (await contract.store.find(accountId, clientId))!;
    expect(widened).toMatchObject({
      scopes: ['email', 'openid', 'profile'],
      claims: ['email', 'phone_number'],
      resourceScopes: { 'https://a.example': ['read', 'write'], 'https://b.example': ['x'] },
      grantedAt: first.grantedAt,
    });
    expect(widened.updatedAt.getTime()).toBeGreaterThanOrEqual(first.updatedAt.getTime());

    // Nothing new: the row is not touched.
    await contract
      .db('consents')
      .where({ account_id: accountId })
      .update({ updated_at: new Date(0) });
    await contract.store.remember(
      accountId,
      clientId,
      allowed(['openid'], [], { 'https://a.example': ['read'] }),
    );
    expect((await contract.store.find(accountId, clientId))!.updatedAt).toEqual(new Date(0));
    await contract.store.remember(accountId, clientId, allowed(['phone']));
    expect((await contract.store.find(accountId, clientId))!.updatedAt.getTime()).toBeGreaterThan(0);
  });

  it('loses nothing to twenty racing remembers, each with a scope of its own', async () => {
    const accountId = await anAccount();
    const clientId = await aClient();
    const scopes = Array.from({ length: 20 }, (_, i) => `scope-${String(i).padStart(2, '0')}`);
    await Promise.all(
      scopes.map((scope, i) =>
        contract.store.remember(
          accountId,
          clientId,
          allowed([scope], [`claim-${i}`], { 'https://r': [scope] }),
        ),
      ),
    );
    const consent = (await contract.store.find(accountId, clientId))!;
    expect(consent.scopes).toEqual(scopes);
    expect(consent.claims).toHaveLength(20);
    expect(consent.resourceScopes['https://r']).toEqual(scopes);
    expect(await contract.db('consents').where({ account_id: accountId })).toHaveLength(1);
  });

  itAcrossPools('loses nothing when two nodes remember for the same account and client at once', async () => {
    const accountId = await anAccount();
    const clientId = await aClient();
    const calls = [];
    for (let i = 0; i < 10; i += 1) {
      calls.push(contract.store.remember(accountId, clientId, allowed([`a-${i}`])));
      calls.push(contract.other!.remember(accountId, clientId, allowed([`b-${i}`])));
    }
    await Promise.all(calls);
    expect((await contract.store.find(accountId, clientId))!.scopes).toHaveLength(20);
  });

  it('stores nothing for a client that is not a row of clients (a static client)', async () => {
    const accountId = await anAccount();
    await contract.store.remember(accountId, 'gatehouse-account', allowed(['openid']));
    expect(await contract.store.find(accountId, 'gatehouse-account')).toBeNull();
    expect(await contract.store.list(accountId)).toEqual([]);
  });

  it('lists an account’s consents, the most recently widened first, a client without a name as null', async () => {
    const accountId = await anAccount();
    const older = await aClient('Older');
    const newer = await aClient(null);
    await contract.store.remember(accountId, older, allowed(['openid']));
    await contract.store.remember(accountId, newer, allowed(['openid']));
    await contract
      .db('consents')
      .where({ account_id: accountId, client_id: older })
      .update({
        updated_at: new Date(Date.now() - 60_000),
      });
    const listed = await contract.store.list(accountId);
    expect(listed.map((c) => [c.clientId, c.clientName])).toEqual([
      [newer, null],
      [older, 'Older'],
    ]);
    expect(await contract.store.list(await anAccount())).toEqual([]);
  });

  it('goes with its client', async () => {
    const accountId = await anAccount();
    const clientId = await aClient();
    await contract.store.remember(accountId, clientId, allowed(['openid']));
    await contract.db('clients').where({ client_id: clientId }).delete();
    expect(await contract.store.find(accountId, clientId)).toBeNull();
  });
});

describe('revoke', () => {
  /** A row of oidc_payloads as the adapter writes it. */
  async function payload(model: string, payload: Record<string, unknown>, grantId: string | null = null) {
    const id = randomUUID();
    await upsertPayload(contract.db, {
      model,
      id,
      json: JSON.stringify({ jti: id, ...payload }),
      grantId,
      uid: model === 'Session' ? randomUUID() : null,
      userCode: null,
      accountId: (payload.accountId as string | undefined) ?? null,
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    return id;
  }

  /** A grant of (account, client) with an access token, a refresh token and a code under it. */
  async function grantWithTokens(accountId: string, clientId: string) {
    const grant = await payload('Grant', { accountId, clientId, openid: { scope: 'openid' } });
    const tokens = [];
    for (const model of ['AccessToken', 'RefreshToken', 'AuthorizationCode'])
      tokens.push(await payload(model, { accountId, clientId, grantId: grant }, grant));
    return { grant, ids: [grant, ...tokens] };
  }

  const exists = async (ids: string[]) =>
    (await contract.db('oidc_payloads').whereIn('id', ids).select('id')).map((r: { id: string }) => r.id);

  it('deletes the consent, that client’s grants and tokens and its part of the sessions, nothing else', async () => {
    const accountId = await anAccount();
    const revoked = await aClient('Revoked');
    const kept = await aClient('Kept');
    await contract.store.remember(accountId, revoked, allowed(['openid', 'offline_access']));
    await contract.store.remember(accountId, kept, allowed(['openid']));
    const a = await grantWithTokens(accountId, revoked);
    const b = await grantWithTokens(accountId, revoked);
    const other = await grantWithTokens(accountId, kept);
    // Another account's grant for the same client stays too.
    const stranger = await anAccount();
    const strangers = await grantWithTokens(stranger, revoked);
    const authorizations = {
      [revoked]: { sid: 's1', grantId: a.grant },
      [kept]: { sid: 's2', grantId: other.grant },
    };
    const session = await payload('Session', { accountId, authorizations, loginTs: 1 });
    const strangerSession = await payload('Session', {
      accountId: stranger,
      authorizations: { [revoked]: { sid: 's3', grantId: strangers.grant } },
    });

    expect(await contract.store.revoke(accountId, revoked)).toBe(true);

    expect(await contract.store.find(accountId, revoked)).toBeNull();
    expect(await contract.store.find(accountId, kept)).not.toBeNull();
    expect(await exists([...a.ids, ...b.ids])).toEqual([]);
    expect((await exists([...other.ids, ...strangers.ids])).sort()).toEqual(
      [...other.ids, ...strangers.ids].sort(),
    );
    const sessionRow = await contract.db('oidc_payloads').where({ model: 'Session', id: session }).first();
    expect(sessionRow.payload).toEqual({
      jti: session,
      accountId,
      authorizations: { [kept]: { sid: 's2', grantId: other.grant } },
      loginTs: 1,
    });
    const strangerRow = await contract
      .db('oidc_payloads')
      .where({ model: 'Session', id: strangerSession })
      .first();
    expect(Object.keys(strangerRow.payload.authorizations)).toEqual([revoked]);

    // Taken back once: there is nothing left to take back.
    expect(await contract.store.revoke(accountId, revoked)).toBe(false);
  });

  it('answers false and touches nothing when there is no consent', async () => {
    const accountId = await anAccount();
    const clientId = await aClient();
    const { ids } = await grantWithTokens(accountId, clientId);
    expect(await contract.store.revoke(accountId, clientId)).toBe(false);
    expect((await exists(ids)).sort()).toEqual([...ids].sort());
  });

  it('keeps the consent when the revocation of the provider state fails (one transaction)', async () => {
    const failing = new ConsentStore(contract.db, async () => {
      throw new Error('revocation failed');
    });
    const accountId = await anAccount();
    const clientId = await aClient();
    await failing.remember(accountId, clientId, allowed(['openid']));
    await expect(failing.revoke(accountId, clientId)).rejects.toThrow('revocation failed');
    expect(await contract.store.find(accountId, clientId)).not.toBeNull();
  });

  it('lets exactly one of ten racing revokes report the consent', async () => {
    const accountId = await anAccount();
    const clientId = await aClient();
    await contract.store.remember(accountId, clientId, allowed(['openid']));
    await grantWithTokens(accountId, clientId);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => contract.store.revoke(accountId, clientId)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});
