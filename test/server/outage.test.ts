/**
 * A database outage under load: a node on its own PostgreSQL server answers every request with 503,
 * Retry-After and each endpoint's own error shape while the server is stopped (fast shutdown) and
 * after it crashed (immediate shutdown), never 500; it answers 200 again by itself within seconds of
 * the server's return, and logs one line per transition. The file brings its own server, so it runs
 * whatever DATABASE_URL says (.ci/run runs it once, in the first pass).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import knex from 'knex';
import { Client } from 'pg';
import { isDatabaseUnavailable } from '../../src/db/unavailable';
import { DEMO_SERVICE, DEMO_WEB } from '../support/fixtures';
import { FORM_TYPE, basic, form } from '../support/http';
import { discover, oidc } from '../support/rp';
import { startProcess, type NodeProcess } from '../support/process';
import { freePort, testEnv } from '../support/server';
import { passwordGrant } from '../support/tokens';
import { sleep } from '../support/wait';

jest.setTimeout(180_000);

const PG_BIN = '/usr/lib/postgresql/15/bin';
const DIR_PREFIX = 'gatehouse-outage-';
const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL binary as the postgres user (the server refuses to run as root). */
function pg(binary: string, args: string[]): string {
  const [cmd, argv] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', path.join(PG_BIN, binary), ...args]]
    : [path.join(PG_BIN, binary), args];
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Servers left running by an aborted run of this file: stopped and removed. */
function removeLeftovers(): void {
  const cutoff = Date.now() - 15 * 60_000;
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), name);
    if (fs.statSync(dir).mtimeMs > cutoff) continue;
    try {
      pg('pg_ctl', ['-D', path.join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
    } catch {
      // Not running.
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function randomPort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    if (await portIsFree(port)) return port;
  }
}

class PostgresServer {
  readonly data: string;

  constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    this.data = path.join(dir, 'data');
  }

  static async create(): Promise<PostgresServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
    if (asRoot) execFileSync('chown', ['postgres:postgres', dir]);
    const server = new PostgresServer(dir, await randomPort());
    pg('initdb', ['-D', server.data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
    return server;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  start(): void {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    pg('pg_ctl', ['-D', this.data, '-o', options, '-l', path.join(this.dir, 'server.log'), '-w', 'start']);
  }

  /** `fast`: ends every session with 57P01, as a restart does. `immediate`: a crash (recovery on start). */
  stop(mode: 'fast' | 'immediate'): void {
    pg('pg_ctl', ['-D', this.data, '-m', mode, '-w', 'stop']);
  }

  remove(): void {
    try {
      this.stop('immediate');
    } catch {
      // Already stopped.
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

interface Answer {
  name: string;
  startedAt: number;
  endedAt: number;
  status: number;
  retryAfter: string | null;
  contentType: string;
  location: string | null;
  body: string;
}

const AUTH_QUERY = new URLSearchParams({
  client_id: DEMO_WEB.id,
  response_type: 'code',
  scope: 'openid',
  redirect_uri: DEMO_WEB.redirectUri,
  state: 'outage-state',
  code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  code_challenge_method: 'S256',
});

let postgres: PostgresServer;
let node: NodeProcess;

beforeAll(async () => {
  removeLeftovers();
  postgres = await PostgresServer.create();
  postgres.start();
  const port = await freePort();
  node = await startProcess(
    testEnv(port, { env: { DATABASE_URL: postgres.url }, drop: async () => {} }, { LOG_LEVEL: 'info' }),
  );
});

afterAll(async () => {
  await node?.stop();
  postgres?.remove();
});

/** The error `work` rejects with. */
async function failure(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

it('tells a database that cannot be reached from an ordinary query error, with real errors', async () => {
  const db = knex({
    client: 'pg',
    connection: postgres.url,
    pool: { min: 0, max: 2 },
    compileSqlOnError: false,
  });
  try {
    await db.raw('create table if not exists outage_probe (id int primary key)');
    await db.raw('insert into outage_probe values (1) on conflict do nothing');
    // 23505 and 22P02 stay what they are, whatever their message quotes.
    const duplicate = await failure(() => db.raw('insert into outage_probe values (1)'));
    expect((duplicate as { code?: string }).code).toBe('23505');
    expect(isDatabaseUnavailable(duplicate)).toBe(false);
    const invalid = await failure(() => db.raw("select 'x - Connection terminated unexpectedly'::int"));
    expect((invalid as { code?: string }).code).toBe('22P02');
    expect(isDatabaseUnavailable(invalid)).toBe(false);
    // A session the server ends mid-query (57P01, as in a fast shutdown), through knex.
    const killed = await failure(() =>
      db.transaction(async (trx) => {
        const { rows } = await trx.raw('select pg_backend_pid() as pid');
        const admin = new Client({ connectionString: postgres.url });
        await admin.connect();
        await admin.query('select pg_terminate_backend($1)', [rows[0].pid]);
        await admin.end();
        await trx.raw('select 1');
      }),
    );
    expect(isDatabaseUnavailable(killed)).toBe(true);
  } finally {
    await db.destroy();
  }
  // Nothing listens: ECONNREFUSED from the driver.
  const closed = new Client({
    connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/postgres`,
  });
  const refused = await failure(() => closed.connect());
  expect(isDatabaseUnavailable(refused)).toBe(true);
});

function logLines(): Array<Record<string, unknown>> {
  return node
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

it('answers 503 with Retry-After in each endpoint’s shape during outages and recovers by itself', async () => {
  const url = node.url;
  // What the loops need, obtained through a relying-party library while the database is up.
  const service = await discover(url, DEMO_SERVICE.id, DEMO_SERVICE.secret);
  const serviceToken = (await oidc.clientCredentialsGrant(service)).access_token;
  const password = await passwordGrant(url, { scope: 'openid' });
  expect(password.status).toBe(200);
  const userToken = password.body.access_token as string;
  const auth = await fetch(`${url}/auth?${AUTH_QUERY}`, { redirect: 'manual' });
  expect(auth.status).toBe(303);
  const loginPath = auth.headers.get('location')!;
  const cookie = auth.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');

  // Responses as they come, headers and all: each endpoint's 503 shape is the test.
  const asService = { authorization: basic(DEMO_SERVICE.id, DEMO_SERVICE.secret), ...FORM_TYPE };
  const requests: Record<string, () => Promise<Response>> = {
    token: () =>
      fetch(`${url}/token`, {
        method: 'POST',
        headers: asService,
        body: form({ grant_type: 'client_credentials' }),
      }),
    introspection: () =>
      fetch(`${url}/token/introspection`, {
        method: 'POST',
        headers: asService,
        body: form({ token: serviceToken }),
      }),
    userinfo: () => fetch(`${url}/me`, { headers: { authorization: `Bearer ${userToken}` } }),
    api: () => fetch(`${url}/api/userinfo`, { headers: { authorization: `Bearer ${userToken}` } }),
    auth: () => fetch(`${url}/auth?${AUTH_QUERY}`, { redirect: 'manual', headers: { accept: 'text/html' } }),
    login: () =>
      fetch(`${url}${loginPath}`, { redirect: 'manual', headers: { cookie, accept: 'text/html' } }),
  };

  const answers: Answer[] = [];
  let running = true;
  async function loop(name: string): Promise<void> {
    while (running) {
      const startedAt = Date.now();
      const res = await requests[name]!();
      answers.push({
        name,
        startedAt,
        endedAt: Date.now(),
        status: res.status,
        retryAfter: res.headers.get('retry-after'),
        contentType: res.headers.get('content-type') ?? '',
        location: res.headers.get('location'),
        body: await res.text(),
      });
      await sleep(25);
    }
  }
  const loops = Object.keys(requests).map((name) => loop(name));

  const outages: Array<{ mode: string; from: number; to: number; back: number }> = [];
  try {
    await sleep(1000);
    for (const mode of ['fast', 'immediate'] as const) {
      postgres.stop(mode);
      const from = Date.now();
      await sleep(mode === 'fast' ? 3000 : 5000);
      const to = Date.now();
      postgres.start();
      const back = Date.now();
      outages.push({ mode, from, to, back });
      await sleep(5000);
    }
  } finally {
    running = false;
    await Promise.all(loops);
  }

  const healthy = (a: Answer) =>
    a.name === 'auth' ? a.status === 303 && a.location!.startsWith('/interaction/') : a.status === 200;

  // Never a 500, whenever the request ran.
  expect(answers.filter((a) => a.status >= 500 && a.status !== 503)).toEqual([]);

  for (const { from, to, back } of outages) {
    const during = answers.filter((a) => a.startedAt >= from && a.endedAt <= to);
    expect(new Set(during.map((a) => a.name)).size).toBe(Object.keys(requests).length);
    for (const a of during) {
      if (a.name === 'auth' && a.status === 303) {
        // RFC 6749 §4.1.2.1: the error goes back to the relying party's validated redirect_uri.
        const location = new URL(a.location!);
        expect(`${location.origin}${location.pathname}`).toBe('http://localhost:8080/callback');
        expect(location.searchParams.get('error')).toBe('temporarily_unavailable');
        expect(location.searchParams.get('state')).toBe('outage-state');
        continue;
      }
      expect({ name: a.name, status: a.status, retryAfter: a.retryAfter }).toEqual({
        name: a.name,
        status: 503,
        retryAfter: '5',
      });
      if (a.name === 'auth' || a.name === 'login') {
        expect(a.contentType).toMatch(/^text\/html/);
        expect(a.body).toContain('temporarily_unavailable');
      } else {
        expect(a.contentType).toMatch(/^application\/json/);
        const body = JSON.parse(a.body) as Record<string, unknown>;
        expect(body).toEqual({
          error: 'temporarily_unavailable',
          error_description: 'the service is temporarily unavailable; retry later',
        });
      }
    }
    // Back by itself: every loop answers as before within a few seconds of the server's return.
    for (const name of Object.keys(requests)) {
      const first = answers.find((a) => a.name === name && a.startedAt >= back && healthy(a));
      expect(first).toBeDefined();
      expect(first!.endedAt - back).toBeLessThan(3000);
    }
  }

  const figures = outages.map(({ mode, from, to, back }) => {
    const window = answers.filter((a) => a.startedAt >= from && a.startedAt < back);
    const byStatus: Record<number, number> = {};
    for (const a of window) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
    const recoveredMs = Math.max(
      ...Object.keys(requests).map((name) => {
        const first = answers.find((a) => a.name === name && a.startedAt >= back && healthy(a));
        return first ? first.endedAt - back : Infinity;
      }),
    );
    return { mode, downMs: to - from, byStatus, recoveredMs };
  });
  console.log(JSON.stringify(figures));

  // One line per transition: unreachable, reachable again, twice; no line per request.
  const transitions = logLines()
    .filter((l) => l.msg === 'database unreachable' || l.msg === 'database reachable again')
    .map((l) => l.msg);
  expect(transitions).toEqual([
    'database unreachable',
    'database reachable again',
    'database unreachable',
    'database reachable again',
  ]);
  // The line says why (ECONNREFUSED, 57P01, ...): redaction of `code` fields leaves the error's own.
  const reasons = logLines()
    .filter((l) => l.msg === 'database unreachable')
    .map((l) => ({ reason: l.reason, err: l.err as Record<string, unknown> }));
  for (const { reason, err } of reasons) {
    expect(typeof reason).toBe('string');
    expect(JSON.stringify(err)).not.toContain('[redacted]');
    if (!['connection_terminated', 'acquire_timeout'].includes(String(reason)))
      expect(JSON.stringify(err)).toContain(`"${String(reason)}"`);
  }
  console.log(
    JSON.stringify(reasons.map(({ reason, err }) => ({ reason, type: err.type, message: err.message }))),
  );
  expect(
    logLines().filter((l) =>
      ['unhandled error', 'provider server_error', 'interaction failed'].includes(String(l.msg)),
    ),
  ).toEqual([]);
  // knex's own messages go through the JSON logger, never raw to the console.
  const raw = node
    .output()
    .split('\n')
    .filter((line) => !line.startsWith('{') && /Connection Error|Acquire connection|knex/i.test(line));
  expect(raw).toEqual([]);
});
