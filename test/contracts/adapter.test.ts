/**
 * The adapter's storage contract (oidc-provider docs/README.md "adapter"): what any adapter of any
 * model must do on any database for the library to be correct. Find what was stored and nothing
 * else (never an expired row, never another model's), replace on upsert, look up by uid and user
 * code, destroy, revoke by grant, consume once: a compare-and-set whose loser is told so (the
 * library detects code and refresh token reuse from it, RFC 6749 §4.1.2, RFC 9700 §4.14.2); expired
 * rows are purged; clients come from the registry.
 */
import { ClientStore } from '../../src/clients/store';
import { purgeOnce } from '../../src/jobs/purge';
import { createAdapterFactory } from '../../src/oidc/adapter';
import { findScope } from '../../src/oidc/shared-finds';
import { itAcrossPools, storeContract } from './harness';

/** The adapters as the provider gets them: one per model name, Client from the registry. */
const adapters = storeContract((db) => createAdapterFactory(db, new ClientStore(db)));
const forModel = (model: string) => adapters.store(model);

beforeEach(async () => {
  await adapters.db('oidc_payloads').delete();
});

async function expire(model: string, id: string): Promise<void> {
  await adapters
    .db('oidc_payloads')
    .where({ model, id })
    .update({ expires_at: new Date(Date.now() - 1000) });
}

describe('every model', () => {
  const accessTokens = () => forModel('AccessToken');

  it('finds what it stored, with the payload intact', async () => {
    const payload = {
      jti: 'at-1',
      kind: 'AccessToken',
      accountId: 'a',
      grantId: 'g-1',
      scope: 'openid',
      exp: 1,
    };
    await accessTokens().upsert('at-1', payload, 60);
    expect(await accessTokens().find('at-1')).toEqual(payload);
  });

  it('returns nothing for an unknown id', async () => {
    expect(await accessTokens().find('nope')).toBeUndefined();
  });

  it('keeps models apart: the same id under another model is another row', async () => {
    await forModel('AccessToken').upsert('same', { kind: 'AccessToken' }, 60);
    await forModel('RefreshToken').upsert('same', { kind: 'RefreshToken' }, 60);
    expect(await forModel('AccessToken').find('same')).toEqual({ kind: 'AccessToken' });
    expect(await forModel('RefreshToken').find('same')).toEqual({ kind: 'RefreshToken' });
  });

  it('answers finds of one id under several models at once (one query) with each model its row', async () => {
    await forModel('AccessToken').upsert('once', { kind: 'AccessToken' }, 60);
    await forModel('RefreshToken').upsert('once', { kind: 'RefreshToken' }, 60);
    await forModel('ClientCredentials').upsert('once', { kind: 'ClientCredentials' }, 60);
    await expire('ClientCredentials', 'once');
    const queries: string[] = [];
    const onQuery = (q: { sql: string }) => queries.push(q.sql);
    adapters.db.on('query', onQuery);
    try {
      // As the library's token look-up does (lib/helpers/token_find.js): all three in one stretch.
      const found = await Promise.all([
        forModel('AccessToken').find('once'),
        forModel('ClientCredentials').find('once'),
        forModel('RefreshToken').find('once'),
        forModel('AccessToken').find('other'),
      ]);
      expect(found).toEqual([{ kind: 'AccessToken' }, undefined, { kind: 'RefreshToken' }, undefined]);
    } finally {
      adapters.db.off('query', onQuery);
    }
    expect(queries.filter((sql) => sql.includes('oidc_payloads'))).toHaveLength(2);
  });

  it("reads a token's grant ahead for its own request only, and forgets it on a write", async () => {
    const grant = { kind: 'Grant', jti: 'g-ahead', accountId: 'a' };
    await forModel('Grant').upsert('g-ahead', grant, 60);
    await accessTokens().upsert('at-ahead', { kind: 'AccessToken', grantId: 'g-ahead' }, 60);
    const queries: string[] = [];
    const onQuery = (q: { sql: string }) => queries.push(q.sql);
    adapters.db.on('query', onQuery);
    try {
      // The library's order: the token, then its grant; the second costs no query.
      await findScope(async () => {
        await accessTokens().find('at-ahead');
        expect(await forModel('Grant').find('g-ahead')).toEqual(grant);
      });
      expect(queries).toHaveLength(1);
      // A write in the same request: what was read ahead is no longer served.
      await findScope(async () => {
        await accessTokens().find('at-ahead');
        await forModel('Grant').destroy('g-ahead');
        expect(await forModel('Grant').find('g-ahead')).toBeUndefined();
      });
    } finally {
      adapters.db.off('query', onQuery);
    }
    // Read ahead by one request and not used there: another request reads the database.
    await forModel('Grant').upsert('g-ahead', grant, 60);
    await findScope(() => accessTokens().find('at-ahead'));
    await adapters.db('oidc_payloads').where({ model: 'Grant', id: 'g-ahead' }).delete();
    expect(await findScope(() => forModel('Grant').find('g-ahead'))).toBeUndefined();
    expect(await forModel('Grant').find('g-ahead')).toBeUndefined();
  });

  it('replaces the payload on a second upsert of the same id', async () => {
    await accessTokens().upsert('at-2', { jti: 'at-2', scope: 'openid' }, 60);
    await accessTokens().upsert('at-2', { jti: 'at-2', scope: 'openid profile' }, 60);
    expect(await accessTokens().find('at-2')).toEqual({ jti: 'at-2', scope: 'openid profile' });
  });

  it('never returns an expired row', async () => {
    await accessTokens().upsert('at-3', { jti: 'at-3' }, 60);
    await expire('AccessToken', 'at-3');
    expect(await accessTokens().find('at-3')).toBeUndefined();
  });

  it('keeps rows without an expiry', async () => {
    await accessTokens().upsert('at-4', { jti: 'at-4' });
    expect(await accessTokens().find('at-4')).toEqual({ jti: 'at-4' });
  });

  it('marks a consumed row, keeps the first consumption time, and refuses a second consumption', async () => {
    const codes = forModel('AuthorizationCode');
    await codes.upsert('code-1', { jti: 'code-1' }, 60);
    await codes.consume('code-1');
    const first = await codes.find('code-1');
    expect(first?.consumed).toEqual(expect.any(Number));
    await adapters
      .db('oidc_payloads')
      .where({ id: 'code-1' })
      .update({ consumed_at: new Date(Date.now() - 5000) });
    await expect(codes.consume('code-1')).rejects.toMatchObject({ error: 'invalid_grant' });
    const second = await codes.find('code-1');
    expect(second?.consumed).toBeLessThan(first!.consumed as number);
  });

  it('finds a session by uid and a device code by user code', async () => {
    const sessions = forModel('Session');
    await sessions.upsert('sess-1', { jti: 'sess-1', uid: 'uid-1', accountId: 'a' }, 60);
    expect(await sessions.findByUid('uid-1')).toEqual({ jti: 'sess-1', uid: 'uid-1', accountId: 'a' });
    expect(await sessions.findByUid('uid-2')).toBeUndefined();

    const devices = forModel('DeviceCode');
    await devices.upsert('dc-1', { jti: 'dc-1', userCode: 'ABCD-EFGH' }, 60);
    expect(await devices.findByUserCode('ABCD-EFGH')).toEqual({ jti: 'dc-1', userCode: 'ABCD-EFGH' });
    await expire('DeviceCode', 'dc-1');
    expect(await devices.findByUserCode('ABCD-EFGH')).toBeUndefined();
  });

  it('destroys one row', async () => {
    await accessTokens().upsert('at-5', { jti: 'at-5' }, 60);
    await accessTokens().destroy('at-5');
    expect(await accessTokens().find('at-5')).toBeUndefined();
  });

  it('revokes every row of its model for one grant, and nothing else', async () => {
    const rts = forModel('RefreshToken');
    await accessTokens().upsert('at-g1', { grantId: 'g1' }, 60);
    await accessTokens().upsert('at-g1b', { grantId: 'g1' }, 60);
    await accessTokens().upsert('at-g2', { grantId: 'g2' }, 60);
    await rts.upsert('rt-g1', { grantId: 'g1' }, 60);
    await accessTokens().revokeByGrantId('g1');
    expect(await accessTokens().find('at-g1')).toBeUndefined();
    expect(await accessTokens().find('at-g1b')).toBeUndefined();
    expect(await accessTokens().find('at-g2')).toEqual({ grantId: 'g2' });
    expect(await rts.find('rt-g1')).toEqual({ grantId: 'g1' });
  });
});

describe('look-ups use indexes', () => {
  // With sequential scans switched off, the planner picks an index only when one serves the query.
  async function plan(sql: string, bindings: string[]): Promise<string> {
    return adapters.db.transaction(async (trx) => {
      await trx.raw('set local enable_seqscan = off');
      const result = await trx.raw(`explain ${sql}`, bindings);
      return (result.rows as Record<string, string>[]).map((r) => Object.values(r)[0]).join('\n');
    });
  }

  it.each([
    ['id', 'select payload from oidc_payloads where model = ? and id = ?', ['AccessToken', 'x']],
    ['grant id', 'delete from oidc_payloads where model = ? and grant_id = ?', ['AccessToken', 'g']],
    ['uid', 'select payload from oidc_payloads where model = ? and uid = ?', ['Session', 'u']],
    ['user code', 'select payload from oidc_payloads where model = ? and user_code = ?', ['DeviceCode', 'c']],
  ])('by %s', async (_name, sql, bindings) => {
    expect(await plan(sql, bindings)).toMatch(/Index/);
  });
});

describe('purge', () => {
  it('deletes expired rows in batches and keeps live ones', async () => {
    const tokens = forModel('AccessToken');
    for (let i = 0; i < 25; i += 1) await tokens.upsert(`old-${i}`, { jti: `old-${i}` }, 60);
    await tokens.upsert('live', { jti: 'live' }, 60);
    await tokens.upsert('forever', { jti: 'forever' });
    await adapters
      .db('oidc_payloads')
      .where('id', 'like', 'old-%')
      .update({ expires_at: new Date(Date.now() - 1000) });

    const batches: number[] = [];
    const deleted = await purgeOnce(adapters.db, {
      batchSize: 10,
      onBatch: (table, n) => table === 'oidc_payloads' && batches.push(n),
    });
    expect(deleted).toBe(25);
    expect(batches).toEqual([10, 10, 5]);
    const left = await adapters.db('oidc_payloads').select('id').orderBy('id');
    expect(left.map((r: { id: string }) => r.id)).toEqual(['forever', 'live']);
  });
});

describe('ClientAdapter', () => {
  it('reads clients from the registry and nothing for unknown ids', async () => {
    const clients = new ClientStore(adapters.db);
    await clients.save({
      client_id: 'adapter-client',
      client_secret: 's',
      redirect_uris: ['https://rp.example/cb'],
    });
    const client = createAdapterFactory(adapters.db, clients)('Client');
    expect(await client.find('adapter-client')).toEqual({
      client_id: 'adapter-client',
      client_secret: 's',
      redirect_uris: ['https://rp.example/cb'],
      // A client registered without a scope list gets the default one, never every scope.
      scope: 'openid profile email',
    });
    expect(await client.find('missing')).toBeUndefined();
  });
});

describe('consumption', () => {
  it.each(['AuthorizationCode', 'DeviceCode', 'BackchannelAuthenticationRequest', 'RefreshToken'])(
    'consume of a %s is a compare-and-set: the second consumer gets invalid_grant',
    async (model) => {
      const adapter = forModel(model);
      await adapter.upsert('one', { jti: 'one' }, 60);
      const results = await Promise.allSettled([adapter.consume('one'), adapter.consume('one')]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect((rejected.reason as { error: string }).error).toBe('invalid_grant');
      await expect(adapter.consume('missing')).rejects.toMatchObject({ error: 'invalid_grant' });
    },
  );

  it('a pushed authorization request consumed twice answers invalid_request_uri', async () => {
    const adapter = forModel('PushedAuthorizationRequest');
    await adapter.upsert('par', { jti: 'par' }, 60);
    await adapter.consume('par');
    await expect(adapter.consume('par')).rejects.toMatchObject({ error: 'invalid_request_uri' });
  });

  itAcrossPools('lets one of two nodes consume a code, and tells the other it lost', async () => {
    const here = forModel('AuthorizationCode');
    const there = adapters.other!('AuthorizationCode');
    await here.upsert('two-nodes', { jti: 'two-nodes' }, 60);
    const results = await Promise.allSettled([here.consume('two-nodes'), there.consume('two-nodes')]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((rejected.reason as { error: string }).error).toBe('invalid_grant');
  });
});
