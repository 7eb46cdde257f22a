/**
 * The per-node memory of the failed-client-authentication limit: a source that did not fail is not
 * asked about again for CLEAN_FOR_MS (so good clients cost no extra round trip per request), a
 * source that fails is asked about on every request, and another node's failures reach a source this
 * node trusted within CLEAN_FOR_MS. Two limiters on one real database stand for two nodes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { Database } from '../../src/db/database';
import { CLEAN_FOR_MS, limitClientAuthFailures } from '../../src/security/client-auth-failures';
import { createRateLimits, type RateLimits } from '../../src/security/rate-limits';
import { openMigratedDatabase, type MigratedDatabase } from '../support/database';

let database: MigratedDatabase;
let db: Database;
const servers: http.Server[] = [];

beforeAll(async () => {
  database = await openMigratedDatabase();
  db = database.db;
});

afterAll(async () => {
  for (const server of servers) server.close();
  await database?.close();
});

/** A node's token endpoint stand-in: 401 invalid_client unless the secret is right; counts checks. */
async function startNode(limits: RateLimits) {
  let checks = 0;
  const counted: RateLimits = {
    ...limits,
    check: (kind, key) => {
      checks += 1;
      return limits.check(kind, key);
    },
  };
  const app = new Koa();
  app.use(limitClientAuthFailures({ paths: ['/token'], rateLimits: counted, proxy: false }));
  app.use(async (ctx) => {
    const ok = ctx.get('authorization') === 'right';
    ctx.status = ok ? 200 : 401;
    ctx.body = ok ? { access_token: 'x' } : { error: 'invalid_client' };
  });
  const server = http.createServer(app.callback());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  return {
    checks: () => checks,
    send: async (secret: 'right' | 'wrong') =>
      (await fetch(url, { method: 'POST', headers: { authorization: secret } })).status,
  };
}

it('asks the shared count once per CLEAN_FOR_MS for a good source, every time for a failing one, and refuses on both nodes', async () => {
  const limits = { points: 3, durationSeconds: 60 };
  const rateLimits = () =>
    createRateLimits(db, {
      login: null,
      token: null,
      clientAuthFailures: limits,
      otpRequest: null,
      otpRequestName: null,
      passwordReset: null,
      passwordResetName: null,
      registration: null,
      deviceCode: null,
      clientRegistration: null,
    });
  const a = await startNode(rateLimits());
  const b = await startNode(rateLimits());

  // A good client: one check, then none for a while.
  for (let i = 0; i < 5; i += 1) expect(await b.send('right')).toBe(200);
  expect(b.checks()).toBe(1);

  // Failures on node a, each checked first, up to the limit; then a refuses even the right secret.
  expect([await a.send('wrong'), await a.send('wrong'), await a.send('wrong')]).toEqual([401, 401, 401]);
  expect(a.checks()).toBe(3);
  expect(await a.send('right')).toBe(429);

  // Node b trusted this source a moment ago; once that has passed, it asks again and refuses too.
  await new Promise((resolve) => setTimeout(resolve, CLEAN_FOR_MS + 100));
  expect(await b.send('right')).toBe(429);
  expect(b.checks()).toBe(2);
});
