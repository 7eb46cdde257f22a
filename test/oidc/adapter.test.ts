/**
 * The adapter's storage contract (oidc-provider docs/README.md "adapter"), written once and run on
 * whichever database the suite runs on: PGlite by default, PostgreSQL with DATABASE_URL.
 */
import { loadConfig } from '../../src/config';
import { ClientStore } from '../../src/clients/store';
import { createDatabase, migrate, type Database } from '../../src/db/database';
import { KnexAdapter, createAdapterFactory } from '../../src/oidc/adapter';
import { purgeOnce } from '../../src/purge';
import { createTestDatabase, type TestDatabase } from '../support/database';

let database: TestDatabase;
let db: Database;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase(loadConfig({ NODE_ENV: 'test', ...database.env }).database);
  await migrate(db);
});

afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

beforeEach(async () => {
  await db('oidc_payloads').delete();
});

async function expire(model: string, id: string): Promise<void> {
  await db('oidc_payloads')
    .where({ model, id })
    .update({ expires_at: new Date(Date.now() - 1000) });
}

describe('KnexAdapter', () => {
  const accessTokens = () => new KnexAdapter(db, 'AccessToken');

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
    await new KnexAdapter(db, 'AccessToken').upsert('same', { kind: 'AccessToken' }, 60);
    await new KnexAdapter(db, 'RefreshToken').upsert('same', { kind: 'RefreshToken' }, 60);
    expect(await new KnexAdapter(db, 'AccessToken').find('same')).toEqual({ kind: 'AccessToken' });
    expect(await new KnexAdapter(db, 'RefreshToken').find('same')).toEqual({ kind: 'RefreshToken' });
  });

  it('answers finds of one id under several models at once (one query) with each model its row', async () => {
    await new KnexAdapter(db, 'AccessToken').upsert('once', { kind: 'AccessToken' }, 60);
    await new KnexAdapter(db, 'RefreshToken').upsert('once', { kind: 'RefreshToken' }, 60);
    await new KnexAdapter(db, 'ClientCredentials').upsert('once', { kind: 'ClientCredentials' }, 60);
    await expire('ClientCredentials', 'once');
    const queries: string[] = [];
    const onQuery = (q: { sql: string }) => queries.push(q.sql);
    db.on('query', onQuery);
    try {
      // As the library's token look-up does (lib/helpers/token_find.js): all three in one stretch.
      const found = await Promise.all([
        new KnexAdapter(db, 'AccessToken').find('once'),
        new KnexAdapter(db, 'ClientCredentials').find('once'),
        new KnexAdapter(db, 'RefreshToken').find('once'),
        new KnexAdapter(db, 'AccessToken').find('other'),
      ]);
      expect(found).toEqual([{ kind: 'AccessToken' }, undefined, { kind: 'RefreshToken' }, undefined]);
    } finally {
      db.off('query', onQuery);
    }
    expect(queries.filter((sql) => sql.includes('oidc_payloads'))).toHaveLength(2);
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
    const codes = new KnexAdapter(db, 'AuthorizationCode');
    await codes.upsert('code-1', { jti: 'code-1' }, 60);
    await codes.consume('code-1');
    const first = await codes.find('code-1');
    expect(first?.consumed).toEqual(expect.any(Number));
    await db('oidc_payloads')
      .where({ id: 'code-1' })
      .update({ consumed_at: new Date(Date.now() - 5000) });
    await expect(codes.consume('code-1')).rejects.toMatchObject({ error: 'invalid_grant' });
    const second = await codes.find('code-1');
    expect(second?.consumed).toBeLessThan(first!.consumed as number);
  });

  it('finds a session by uid and a device code by user code', async () => {
    const sessions = new KnexAdapter(db, 'Session');
    await sessions.upsert('sess-1', { jti: 'sess-1', uid: 'uid-1', accountId: 'a' }, 60);
    expect(await sessions.findByUid('uid-1')).toEqual({ jti: 'sess-1', uid: 'uid-1', accountId: 'a' });
    expect(await sessions.findByUid('uid-2')).toBeUndefined();

    const devices = new KnexAdapter(db, 'DeviceCode');
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
    const rts = new KnexAdapter(db, 'RefreshToken');
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
    return db.transaction(async (trx) => {
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
    const adapter = new KnexAdapter(db, 'AccessToken');
    for (let i = 0; i < 25; i += 1) await adapter.upsert(`old-${i}`, { jti: `old-${i}` }, 60);
    await adapter.upsert('live', { jti: 'live' }, 60);
    await adapter.upsert('forever', { jti: 'forever' });
    await db('oidc_payloads')
      .where('id', 'like', 'old-%')
      .update({ expires_at: new Date(Date.now() - 1000) });

    const batches: number[] = [];
    const deleted = await purgeOnce(db, {
      batchSize: 10,
      onBatch: (table, n) => table === 'oidc_payloads' && batches.push(n),
    });
    expect(deleted).toBe(25);
    expect(batches).toEqual([10, 10, 5]);
    const left = await db('oidc_payloads').select('id').orderBy('id');
    expect(left.map((r: { id: string }) => r.id)).toEqual(['forever', 'live']);
  });
});

describe('ClientAdapter', () => {
  it('reads clients from the registry and nothing for unknown ids', async () => {
    const clients = new ClientStore(db);
    await clients.save({
      client_id: 'adapter-client',
      client_secret: 's',
      redirect_uris: ['https://rp.example/cb'],
    });
    const adapter = createAdapterFactory(db, clients)('Client');
    expect(await adapter.find('adapter-client')).toEqual({
      client_id: 'adapter-client',
      client_secret: 's',
      redirect_uris: ['https://rp.example/cb'],
      // A client registered without a scope list gets the default one, never every scope.
      scope: 'openid profile email',
    });
    expect(await adapter.find('missing')).toBeUndefined();
  });
});
