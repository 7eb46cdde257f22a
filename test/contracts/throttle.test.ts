/**
 * The sign-in throttle's contract (src/accounts/throttle.ts): what any implementation must keep on
 * any database, bursts and waiting attempts included (below). A name never seen is open; failures
 * count only within the window; a lock ends after its duration and then the count starts again; a success that came first leaves nothing for a late failure to lock;
 * an administrator's reset clears count and lock; and a lock set through one node holds on another.
 */
import { LoginThrottle } from '../../src/accounts/throttle';
import { itAcrossPools, storeContract } from './harness';

const POLICY = { maxAttempts: 3, windowSeconds: 600, durationSeconds: 300 };

const throttles = storeContract((db) => new LoginThrottle(db, POLICY));
const throttle = () => throttles.store;

let named = 0;
/** A name no other test uses (the database lives for the whole file). */
const uniqueName = (stem: string) => `${stem}-${(named += 1)}`;

const seconds = (n: number, from: Date) => new Date(from.getTime() + n * 1000);

/** Fails `count` reserved attempts for the name at `now`; returns the lock the last one set, if any. */
async function failTimes(key: string, count: number, now: Date): Promise<Date | null> {
  let until: Date | null = null;
  for (let i = 0; i < count; i += 1) {
    const reservation = await throttle().reserve(key, now);
    if (!reservation.ok) throw new Error(`attempt ${i + 1} refused: ${JSON.stringify(reservation)}`);
    until = await throttle().fail(key, reservation, now);
  }
  return until;
}

it('leaves a name never seen open, and counts its first attempt as the first', async () => {
  const key = uniqueName('fresh');
  expect(await throttle().lockedUntil(key)).toBeNull();
  expect(await throttle().reserve(key)).toEqual({ ok: true, attempt: 1 });
});

it('never locks for failures spread wider than the window', async () => {
  const key = uniqueName('spread');
  const start = new Date();
  expect(await failTimes(key, POLICY.maxAttempts - 1, start)).toBeNull();
  const nextWindow = seconds(POLICY.windowSeconds + 1, start);
  expect(await failTimes(key, POLICY.maxAttempts - 1, nextWindow)).toBeNull();
  expect(await throttle().lockedUntil(key, nextWindow)).toBeNull();
});

it('locks for durationSeconds, then opens with a fresh count', async () => {
  const key = uniqueName('expiring');
  const start = new Date();
  const until = await failTimes(key, POLICY.maxAttempts, start);
  expect(until).toEqual(seconds(POLICY.durationSeconds, start));
  const during = seconds(POLICY.durationSeconds - 1, start);
  expect(await throttle().lockedUntil(key, during)).toEqual(until);
  expect(await throttle().reserve(key, during)).toEqual({ ok: false, lockedUntil: until });
  const after = seconds(POLICY.durationSeconds, start);
  expect(await throttle().lockedUntil(key, after)).toBeNull();
  expect(await throttle().reserve(key, after)).toEqual({ ok: true, attempt: 1 });
});

it('sets no lock for a failure whose name a success has opened since', async () => {
  const key = uniqueName('late-failure');
  const now = new Date();
  const reservations = [];
  for (let i = 0; i < POLICY.maxAttempts; i += 1) reservations.push(await throttle().reserve(key, now));
  expect(await throttle().succeed(key, now)).toEqual({ ok: true });
  expect(await throttle().fail(key, reservations.at(-1) as { attempt: number }, now)).toBeNull();
  expect(await throttle().lockedUntil(key, now)).toBeNull();
});

it('clears the count and the lock on a reset', async () => {
  const key = uniqueName('reset');
  const now = new Date();
  expect(await failTimes(key, POLICY.maxAttempts, now)).toBeInstanceOf(Date);
  await throttle().reset(key.toUpperCase());
  expect(await throttle().lockedUntil(key, now)).toBeNull();
  expect(await throttle().reserve(key, now)).toEqual({ ok: true, attempt: 1 });
});

itAcrossPools('holds a lock set through one node on the other', async () => {
  const key = uniqueName('two-nodes');
  const now = new Date();
  const until = await failTimes(key, POLICY.maxAttempts, now);
  expect(await throttles.other!.lockedUntil(key, now)).toEqual(until);
  expect(await throttles.other!.reserve(key, now)).toEqual({ ok: false, lockedUntil: until });
  expect(await throttles.other!.succeed(key, now)).toEqual({ ok: false, lockedUntil: until });
});

/**
 * Bursts: an attempt is counted before its credential is checked, so of any burst at most
 * `maxAttempts` get through, on one connection pool or several (two nodes); the last of them locks
 * the name when it fails, a success takes the count back unless a lock won, and an attempt that
 * finds every place taken waits for the outcome of those ahead of it.
 */
describe('bursts and waiting attempts', () => {
  const policy = { maxAttempts: 5, windowSeconds: 900, durationSeconds: 900 };
  const bursts = storeContract((db) => new LoginThrottle(db, policy));

  it('lets exactly maxAttempts of 30 concurrent attempts through', async () => {
    const throttle = new LoginThrottle(bursts.db, policy);
    const results = await Promise.all(Array.from({ length: 30 }, () => throttle.reserve('burst')));
    const granted = results.filter((r) => r.ok);
    expect(granted).toHaveLength(5);
    expect(granted.map((r) => (r.ok ? r.attempt : 0)).sort()).toEqual([1, 2, 3, 4, 5]);
    for (const refused of results.filter((r) => !r.ok))
      expect(refused).toEqual({ ok: false, lockedUntil: expect.any(Date) });
  });

  itAcrossPools('shares the count across two pools (two nodes)', async () => {
    const a = bursts.store;
    const b = bursts.other!;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).reserve('two-nodes')),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(5);
  });

  it('locks when the attempt that took the last place fails, and starts a fresh count', async () => {
    const throttle = new LoginThrottle(bursts.db, policy);
    const reservations = [];
    for (let i = 0; i < 5; i += 1) reservations.push(await throttle.reserve('lockme'));
    for (const r of reservations.slice(0, 4))
      expect(await throttle.fail('lockme', r as { attempt: number })).toBeNull();
    const until = await throttle.fail('lockme', reservations[4] as { attempt: number });
    expect(until).toBeInstanceOf(Date);
    expect(await throttle.lockedUntil('LockMe')).toEqual(until);
    expect(await throttle.reserve('lockme')).toEqual({ ok: false, lockedUntil: until });
    const row = await bursts.db('login_throttle').where('username', 'lockme').first();
    expect(row.failures).toBe(0);
  });

  it('takes the count back on a success', async () => {
    const throttle = new LoginThrottle(bursts.db, policy);
    await throttle.reserve('forgetful');
    const r = await throttle.reserve('forgetful');
    expect(r).toEqual({ ok: true, attempt: 2 });
    expect(await throttle.succeed('forgetful')).toEqual({ ok: true });
    expect(await throttle.reserve('forgetful')).toEqual({ ok: true, attempt: 1 });
  });

  it('refuses a success when failures in the same burst locked the name meanwhile', async () => {
    const throttle = new LoginThrottle(bursts.db, policy);
    const mine = await throttle.reserve('contested');
    expect(mine.ok).toBe(true);
    const others = [];
    for (let i = 0; i < 4; i += 1) others.push(await throttle.reserve('contested'));
    const until = await throttle.fail('contested', others[3] as { attempt: number });
    expect(until).toBeInstanceOf(Date);
    expect(await throttle.succeed('contested')).toEqual({ ok: false, lockedUntil: until });
  });

  it('keeps an attempt counted when its outcome never arrives (a process killed mid-check)', async () => {
    const throttle = new LoginThrottle(bursts.db, policy);
    for (let i = 0; i < 5; i += 1) await throttle.reserve('crashed');
    // Nobody calls fail() or succeed(): the name stays closed until the window ends.
    expect((await throttle.reserve('crashed')).ok).toBe(false);
    const later = new Date(Date.now() + 901 * 1000);
    expect(await throttle.reserve('crashed', later)).toEqual({ ok: true, attempt: 1 });
  });

  it('lets an attempt that found every place taken wait: a success ahead of it lets it through', async () => {
    const throttle = new LoginThrottle(bursts.db, policy);
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
    const throttle = new LoginThrottle(bursts.db, policy);
    const ahead = [];
    for (let i = 0; i < 5; i += 1) ahead.push((await throttle.reserve('doomed')) as { attempt: number });
    const waiting = throttle.reserve('doomed');
    let until: Date | null = null;
    for (const r of ahead) until = (await throttle.fail('doomed', r)) ?? until;
    expect(until).toBeInstanceOf(Date);
    expect(await waiting).toEqual({ ok: false, lockedUntil: until });
  });

  it('counts names apart from their case only', async () => {
    const throttle = new LoginThrottle(bursts.db, { ...policy, maxAttempts: 1 });
    expect((await throttle.reserve('casey')).ok).toBe(true);
    await throttle.fail('casey', { attempt: 1 });
    expect(await throttle.lockedUntil('CASEY')).toBeInstanceOf(Date);
    expect((await throttle.reserve('other-name')).ok).toBe(true);
  });
});
