/**
 * The sign-in throttle under concurrency: failures counted from several requests at once, and a
 * successful sign-in resetting the name while others fail, never error and never lose a count.
 */
import { LoginThrottle } from '../../src/accounts/throttle';
import { loadConfig } from '../../src/config';
import { createDatabase, migrate, type Database } from '../../src/db/database';
import { createTestDatabase, type TestDatabase } from '../support/database';

let database: TestDatabase;
let db: Database;
const policy = { maxAttempts: 1000, windowSeconds: 900, durationSeconds: 900 };

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase(loadConfig({ NODE_ENV: 'test', ...database.env }).database);
  await migrate(db);
});

afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

it('counts every one of many concurrent failures', async () => {
  const throttle = new LoginThrottle(db, policy);
  await Promise.all(Array.from({ length: 20 }, () => throttle.recordFailure('Concurrent')));
  const row = await db('login_throttle').where('username', 'concurrent').first();
  expect(row.failures).toBe(20);
});

it('counts a failure whose row a concurrent reset deleted while it waited for the lock', async () => {
  const throttle = new LoginThrottle(db, policy);
  await throttle.recordFailure('racer');
  // Another sign-in holds the row (as a reset in progress would) ...
  const other = await db.transaction();
  await other('login_throttle').where('username', 'racer').forUpdate().first();
  // ... while this failure is counted: it waits for that lock ...
  const failure = throttle.recordFailure('racer');
  await new Promise((r) => setTimeout(r, 300));
  // ... and the other one deletes the row (a successful sign-in resets the name) and commits.
  await other('login_throttle').where('username', 'racer').delete();
  await other.commit();
  await expect(failure).resolves.toBeNull();
  const row = await db('login_throttle').where('username', 'racer').first();
  expect(row.failures).toBe(1);
});

it('locks at the limit and starts a fresh count', async () => {
  const throttle = new LoginThrottle(db, { ...policy, maxAttempts: 3 });
  expect(await throttle.recordFailure('lockme')).toBeNull();
  expect(await throttle.recordFailure('lockme')).toBeNull();
  const until = await throttle.recordFailure('lockme');
  expect(until).toBeInstanceOf(Date);
  expect(await throttle.lockedUntil('LockMe')).toEqual(until);
  const row = await db('login_throttle').where('username', 'lockme').first();
  expect(row.failures).toBe(0);
});
