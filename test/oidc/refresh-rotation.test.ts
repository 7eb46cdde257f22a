/**
 * Refresh token rotation under races and failures: exactly one of parallel refreshes wins, a
 * rotation whose writes fail leaves the old token as it was, and within REFRESH_TOKEN_REUSE_GRACE a
 * retry gets the same successor tokens (on any node) instead of a revoked grant.
 */
import type { Database } from '../../src/db/database';
import { usingPostgres } from '../support/database';
import { DEMO_SERVICE } from '../support/fixtures';
import { isActive as active, type HttpAnswer } from '../support/http';
import { startTestServer, useTwoNodes, type TestServer } from '../support/server';
import { passwordGrant, refresh } from '../support/tokens';

async function refreshTokenOf(issuer: string): Promise<string> {
  const res = await passwordGrant(issuer, { scope: 'openid offline_access profile' });
  expect(res.status).toBe(200);
  return res.body.refresh_token as string;
}

/** Runs `request` while every insert of a `model` row fails inside the database (a real failure). */
async function withFailingInserts(
  db: Database,
  model: string,
  request: () => Promise<HttpAnswer>,
): Promise<HttpAnswer> {
  await db.raw(`create or replace function gatehouse_test_fail() returns trigger language plpgsql as $$
    begin raise exception 'injected failure'; end $$`);
  await db.raw(`create trigger gatehouse_test_fail before insert on oidc_payloads
    for each row when (new.model = '${model}') execute function gatehouse_test_fail()`);
  try {
    return await request();
  } finally {
    await db.raw('drop trigger gatehouse_test_fail on oidc_payloads');
    await db.raw('drop function gatehouse_test_fail()');
  }
}

const successes = (answers: HttpAnswer[]) => answers.filter((a) => a.status === 200);

describe('strict rotation (REFRESH_TOKEN_REUSE_GRACE=0)', () => {
  let node: TestServer;
  let db: Database;

  beforeAll(async () => {
    node = await startTestServer();
    db = node.services.db;
  });

  afterAll(async () => {
    await node?.stop();
  });

  it('lets exactly one of 50 parallel refreshes of one token succeed', async () => {
    const token = await refreshTokenOf(node.issuer);
    const answers = await Promise.all(Array.from({ length: 50 }, () => refresh(node.issuer, token)));
    expect(successes(answers)).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 200)) {
      expect(a.status).toBe(400);
      expect(a.body.error).toBe('invalid_grant');
    }
  });

  it('lets exactly one of two parallel refreshes succeed, 20 pairs in a row', async () => {
    for (let pair = 0; pair < 20; pair++) {
      const token = await refreshTokenOf(node.issuer);
      const answers = await Promise.all([refresh(node.issuer, token), refresh(node.issuer, token)]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
      expect(answers.find((a) => a.status === 400)!.body.error).toBe('invalid_grant');
    }
  });

  it('rotates once: the successor works, and a later reuse of the old token revokes the grant', async () => {
    const token = await refreshTokenOf(node.issuer);
    const first = await refresh(node.issuer, token);
    expect(first.status).toBe(200);
    const next = first.body.refresh_token as string;
    expect(next).not.toBe(token);
    expect(await active(node.issuer, first.body.access_token as string)).toBe(true);

    const reuse = await refresh(node.issuer, token);
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    // RFC 9700 §4.14.2: the whole grant goes, the successor and its access token with it.
    expect(await active(node.issuer, first.body.access_token as string)).toBe(false);
    expect((await refresh(node.issuer, next)).body.error).toBe('invalid_grant');
  });

  it('stores nothing of a rotation whose new tokens cannot be written: the old token still works', async () => {
    const token = await refreshTokenOf(node.issuer);
    // At the write of the successor refresh token.
    const failed = await withFailingInserts(db, 'RefreshToken', () => refresh(node.issuer, token));
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(failed.text).not.toContain('injected failure');
    const row = await db('oidc_payloads').where({ model: 'RefreshToken', id: token }).first();
    expect(row.consumed_at).toBeNull();

    const retry = await refresh(node.issuer, token);
    expect(retry.status).toBe(200);
    expect(await active(node.issuer, retry.body.access_token as string)).toBe(true);
  });
});

describe('with a grace window (REFRESH_TOKEN_REUSE_GRACE=30)', () => {
  let node: TestServer;
  let db: Database;

  beforeAll(async () => {
    node = await startTestServer({ env: { REFRESH_TOKEN_REUSE_GRACE: '30' } });
    db = node.services.db;
  });

  afterAll(async () => {
    await node?.stop();
  });

  const tokensOf = (a: HttpAnswer) => ({
    access_token: a.body.access_token,
    refresh_token: a.body.refresh_token,
    id_token: a.body.id_token,
  });

  it('answers 50 parallel refreshes of one token with one and the same successor', async () => {
    const token = await refreshTokenOf(node.issuer);
    const answers = await Promise.all(Array.from({ length: 50 }, () => refresh(node.issuer, token)));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    const distinct = new Set(answers.map((a) => JSON.stringify(tokensOf(a))));
    expect(distinct.size).toBe(1);
    // The chain goes on from that successor, and the grant was not revoked.
    expect(await active(node.issuer, answers[0].body.access_token as string)).toBe(true);
    const next = await refresh(node.issuer, answers[0].body.refresh_token as string);
    expect(next.status).toBe(200);
  });

  it('answers a retry after a lost response with the same tokens, idempotently', async () => {
    const token = await refreshTokenOf(node.issuer);
    const first = await refresh(node.issuer, token);
    const again = await refresh(node.issuer, token);
    const third = await refresh(node.issuer, token);
    expect([first.status, again.status, third.status]).toEqual([200, 200, 200]);
    expect(tokensOf(again)).toEqual(tokensOf(first));
    expect(tokensOf(third)).toEqual(tokensOf(first));
    expect(again.headers.get('cache-control')).toBe('no-store');
    expect(again.body.expires_in).toBeLessThanOrEqual(first.body.expires_in as number);
    expect(again.body.token_type).toBe('Bearer');
  });

  it('does not answer another client the successor', async () => {
    const token = await refreshTokenOf(node.issuer);
    expect((await refresh(node.issuer, token)).status).toBe(200);
    const other = await refresh(node.issuer, token, DEMO_SERVICE);
    expect(other.status).toBe(400);
    expect(other.body).not.toHaveProperty('access_token');
  });

  it('revokes the grant on reuse outside the window', async () => {
    const token = await refreshTokenOf(node.issuer);
    const first = await refresh(node.issuer, token);
    expect(first.status).toBe(200);
    // As if the window had passed since the rotation.
    await db('oidc_payloads')
      .where({ model: 'RefreshToken', id: token })
      .update({ consumed_at: new Date(Date.now() - 31_000) });
    const late = await refresh(node.issuer, token);
    expect(late.status).toBe(400);
    expect(late.body.error).toBe('invalid_grant');
    expect(await active(node.issuer, first.body.access_token as string)).toBe(false);
  });

  it('revokes the grant on reuse once the successor itself was used', async () => {
    const token = await refreshTokenOf(node.issuer);
    const first = await refresh(node.issuer, token);
    const second = await refresh(node.issuer, first.body.refresh_token as string);
    expect(second.status).toBe(200);
    const stale = await refresh(node.issuer, token);
    expect(stale.status).toBe(400);
    expect(stale.body.error).toBe('invalid_grant');
    expect(await active(node.issuer, second.body.access_token as string)).toBe(false);
  });

  it('keeps the stored answer sealed: no token of it in clear in the database', async () => {
    const token = await refreshTokenOf(node.issuer);
    const first = await refresh(node.issuer, token);
    const row = await db('oidc_payloads').where({ model: 'RefreshToken', id: token }).first();
    expect(typeof row.successor).toBe('string');
    expect(row.successor).not.toContain(first.body.refresh_token as string);
    expect(row.successor).not.toContain(first.body.access_token as string);
  });

  it('leaves the old token usable when the rotation cannot be written', async () => {
    const token = await refreshTokenOf(node.issuer);
    // At the write of the new access token, after the successor refresh token's.
    const failed = await withFailingInserts(db, 'AccessToken', () => refresh(node.issuer, token));
    expect(failed.status).toBeGreaterThanOrEqual(500);
    const retry = await refresh(node.issuer, token);
    expect(retry.status).toBe(200);
    expect(await active(node.issuer, retry.body.access_token as string)).toBe(true);
  });
});

const describeOnPostgres = usingPostgres ? describe : describe.skip;

describeOnPostgres('two nodes on one PostgreSQL', () => {
  const nodes = useTwoNodes({ REFRESH_TOKEN_REUSE_GRACE: '30' });

  it('lets exactly one of parallel refreshes across both nodes rotate, and both answer its tokens', async () => {
    const { a, b } = nodes;
    const token = await refreshTokenOf(a.issuer);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => refresh(i % 2 ? a.issuer : b.issuer, token)),
    );
    expect(answers.map((x) => x.status)).toEqual(Array(20).fill(200));
    expect(new Set(answers.map((x) => x.body.refresh_token)).size).toBe(1);
    expect(new Set(answers.map((x) => x.body.access_token)).size).toBe(1);
  });

  it('answers a retry on the other node with the first node’s successor', async () => {
    const { a, b } = nodes;
    const token = await refreshTokenOf(a.issuer);
    const onA = await refresh(a.issuer, token);
    const onB = await refresh(b.issuer, token);
    expect(onB.status).toBe(200);
    expect(onB.body.refresh_token).toBe(onA.body.refresh_token);
    expect(onB.body.access_token).toBe(onA.body.access_token);
  });
});

describeOnPostgres('two nodes on one PostgreSQL, strict', () => {
  const nodes = useTwoNodes();

  it('lets exactly one of two parallel refreshes on two nodes succeed, 20 pairs in a row', async () => {
    const { a, b } = nodes;
    for (let pair = 0; pair < 20; pair++) {
      const token = await refreshTokenOf(a.issuer);
      const answers = await Promise.all([refresh(a.issuer, token), refresh(b.issuer, token)]);
      expect(answers.map((x) => x.status).sort()).toEqual([200, 400]);
    }
  });
});
