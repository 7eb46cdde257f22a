/**
 * The sign-in throttle under concurrency: an attempt is counted before its credential is checked, so
 * of any burst at most `maxAttempts` get through, on one connection pool or several (two nodes); the
 * last of them locks the name when it fails, and a success takes the count back unless a lock won.
 */
import { LoginThrottle } from '../../src/accounts/throttle';
import { loadConfig } from '../../src/config';
import { createDatabase, migrate, type Database } from '../../src/db/database';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../support/database';

let database: TestDatabase;
let db: Database;
/** A second pool on the same database, as a second node has (PostgreSQL only). */
let other: Database | undefined;
const policy = { maxAttempts: 5, windowSeconds: 900, durationSeconds: 900 };

beforeAll(async () => {
  database = await createTestDatabase();
  const config = loadConfig({ NODE_ENV: 'test', ...database.env });
  db = createDatabase(config.database);
  await migrate(db);
  if (usingPostgres) other = createDatabase(config.database);
});

afterAll(async () => {
  await other?.destroy();
  await db?.destroy();
  await database?.drop();
});

it('lets exactly maxAttempts of 30 concurrent attempts through', async () => {
  const throttle = new LoginThrottle(db, policy);
  const results = await Promise.all(Array.from({ length: 30 }, () => throttle.reserve('burst')));
  const granted = results.filter((r) => r.ok);
  expect(granted).toHaveLength(5);
  expect(granted.map((r) => (r.ok ? r.attempt : 0)).sort()).toEqual([1, 2, 3, 4, 5]);
  for (const refused of results.filter((r) => !r.ok))
    expect(refused).toEqual({ ok: false, lockedUntil: expect.any(Date) });
});

(usingPostgres ? it : it.skip)('shares the count across two pools (two nodes)', async () => {
  const a = new LoginThrottle(db, policy);
  const b = new LoginThrottle(other!, policy);
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).reserve('two-nodes')),
  );
  expect(results.filter((r) => r.ok)).toHaveLength(5);
});

it('locks when the attempt that took the last place fails, and starts a fresh count', async () => {
  const throttle = new LoginThrottle(db, policy);
  const reservations = [];
  for (let i = 0; i < 5; i += 1) reservations.push(await throttle.reserve('lockme'));
  for (const r of reservations.slice(0, 4))
    expect(await throttle.fail('lockme', r as { attempt: number })).toBeNull();
  const until = await throttle.fail('lockme', reservations[4] as { attempt: number });
  expect(until).toBeInstanceOf(Date);
  expect(await throttle.lockedUntil('LockMe')).toEqual(until);
  expect(await throttle.reserve('lockme')).toEqual({ ok: false, lockedUntil: until });
  const row = await db('login_throttle').where('username', 'lockme').first();
  expect(row.failures).toBe(0);
});

it('takes the count back on a success', async () => {
  const throttle = new LoginThrottle(db, policy);
  await throttle.reserve('forgetful');
  const r = await throttle.reserve('forgetful');
  expect(r).toEqual({ ok: true, attempt: 2 });
  expect(await throttle.succeed('forgetful')).toEqual({ ok: true });
  expect(await throttle.reserve('forgetful')).toEqual({ ok: true, attempt: 1 });
});

it('refuses a success when failures in the same burst locked the name meanwhile', async () => {
  const throttle = new LoginThrottle(db, policy);
  const mine = await throttle.reserve('contested');
  expect(mine.ok).toBe(true);
  const others = [];
  for (let i = 0; i < 4; i += 1) others.push(await throttle.reserve('contested'));
  const until = await throttle.fail('contested', others[3] as { attempt: number });
  expect(until).toBeInstanceOf(Date);
  expect(await throttle.succeed('contested')).toEqual({ ok: false, lockedUntil: until });
});

it('keeps an attempt counted when its outcome never arrives (a process killed mid-check)', async () => {
  const throttle = new LoginThrottle(db, policy);
  for (let i = 0; i < 5; i += 1) await throttle.reserve('crashed');
  // Nobody calls fail() or succeed(): the name stays closed until the window ends.
  expect((await throttle.reserve('crashed')).ok).toBe(false);
  const later = new Date(Date.now() + 901 * 1000);
  expect(await throttle.reserve('crashed', later)).toEqual({ ok: true, attempt: 1 });
});

it('lets an attempt that found every place taken wait: a success ahead of it lets it through', async () => {
  const throttle = new LoginThrottle(db, policy);
  const ahead = [];
  for (let i = 0; i < 5; i += 1) ahead.push(await throttle.reserve('queued'));
  const waiting = throttle.reserve('queued');
  // Still waiting well after its first try (a refusal would have come at once).
  const pending = new Promise((resolve) => setTimeout(resolve, 150, 'pending'));
  expect(await Promise.race([waiting, pending])).toBe('pending');
  expect(await throttle.succeed('queued')).toEqual({ ok: true });
  expect(await waiting).toEqual({ ok: true, attempt: 1 });
});

it('refuses a waiting attempt with the lock that the failures ahead of it set', async () => {
  const throttle = new LoginThrottle(db, policy);
  const ahead = [];
  for (let i = 0; i < 5; i += 1) ahead.push((await throttle.reserve('doomed')) as { attempt: number });
  const waiting = throttle.reserve('doomed');
  let until: Date | null = null;
  for (const r of ahead) until = (await throttle.fail('doomed', r)) ?? until;
  expect(until).toBeInstanceOf(Date);
  expect(await waiting).toEqual({ ok: false, lockedUntil: until });
});

it('counts names apart from their case only', async () => {
  const throttle = new LoginThrottle(db, { ...policy, maxAttempts: 1 });
  expect((await throttle.reserve('casey')).ok).toBe(true);
  await throttle.fail('casey', { attempt: 1 });
  expect(await throttle.lockedUntil('CASEY')).toBeInstanceOf(Date);
  expect((await throttle.reserve('other-name')).ok).toBe(true);
});
