/**
 * The embedded database served over its socket: connections share PGlite's one session, so the
 * serving must keep one connection's transaction and extended-protocol exchange from mixing with
 * another's, and hand NOTIFYs to every connection. And the DATA_DIR lock has one holder.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { PGlite } from '@electric-sql/pglite';
import { Client } from 'pg';
import { LOCK_FILE, tryLock } from '../../src/db/embedded/lock';
import { socketConnection } from '../../src/db/embedded/open';
import { serveDatabase, type SocketServer } from '../../src/db/embedded/socket-server';

// PGlite starts in seconds, but many times slower on a loaded two-core machine.
jest.setTimeout(60_000);

let dir: string;
let db: PGlite;
let served: SocketServer;
const clients: Client[] = [];

async function connect(): Promise<Client> {
  const client = new Client(socketConnection(served.served));
  // A failure shows in the query that meets it; an unheard 'error' event would end the test run.
  client.on('error', () => undefined);
  await client.connect();
  clients.push(client);
  return client;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-session-'));
  db = await PGlite.create();
  served = await serveDatabase(db, dir);
  const setup = await connect();
  await setup.query('create table t (id int primary key, v text)');
});

afterAll(async () => {
  for (const client of clients) await client.end().catch(() => undefined);
  await served?.close();
  await db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('transactions from two connections', () => {
  it('runs the other connection only after the transaction ends', async () => {
    const a = await connect();
    const b = await connect();
    const order: string[] = [];
    await a.query('begin');
    await a.query('insert into t values (1, $1)', ['in a']);
    const read = b.query('select count(*)::int as n from t').then((r) => {
      order.push('b read');
      return r.rows[0].n as number;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    order.push('a rollback');
    await a.query('rollback');
    // b's statement waited for a's transaction: it neither ran inside it nor saw its insert.
    expect(await read).toBe(0);
    expect(order).toEqual(['a rollback', 'b read']);
  });

  it('keeps concurrent knex-style transactions apart (each sees only its own writes)', async () => {
    const conns = await Promise.all([connect(), connect(), connect()]);
    await Promise.all(
      conns.map(async (c, n) => {
        for (let i = 0; i < 20; i += 1) {
          const id = 100 + n * 100 + i;
          await c.query('begin');
          await c.query('insert into t values ($1, $2)', [id, `c${n}`]);
          const mine = await c.query('select v from t where id = $1', [id]);
          expect(mine.rows).toEqual([{ v: `c${n}` }]);
          // Odd rounds roll back: a row of another connection's rolled-back round never shows.
          await c.query(i % 2 ? 'rollback' : 'commit');
        }
      }),
    );
    const { rows } = await conns[0]!.query(
      'select v, count(*)::int as n from t where id >= 100 group by v order by v',
    );
    expect(rows).toEqual([
      { v: 'c0', n: 10 },
      { v: 'c1', n: 10 },
      { v: 'c2', n: 10 },
    ]);
  });

  it('rolls back the transaction of a connection that vanished, and serves the others', async () => {
    const a = await connect();
    a.on('error', () => undefined);
    const b = await connect();
    await a.query('begin');
    await a.query("insert into t values (2, 'lost')");
    const read = b.query('select count(*)::int as n from t where id = 2');
    (a as unknown as { connection: { stream: net.Socket } }).connection.stream.destroy();
    expect((await read).rows[0].n).toBe(0);
    // The session is whole again: a transaction of another connection writes the same key.
    await b.query('begin');
    await b.query("insert into t values (2, 'kept')");
    await b.query('commit');
    expect((await b.query('select v from t where id = 2')).rows).toEqual([{ v: 'kept' }]);
  });
});

describe('extended-protocol exchanges', () => {
  it('keeps an exchange whose messages arrive in two reads whole', async () => {
    // Parse + Bind of `select $1` in one write, Execute + Sync in a later one; another connection's
    // own Parse in between would replace the unnamed statement if it were let in.
    const raw = net.connect(path.join(served.served.host, `.s.PGSQL.${served.served.port}`));
    await new Promise((resolve) => raw.once('connect', resolve));
    const received: Buffer[] = [];
    raw.on('data', (d) => received.push(d));
    const msg = (type: string, body: Buffer) => {
      const head = Buffer.alloc(5);
      head.write(type, 0);
      head.writeInt32BE(body.length + 4, 1);
      return Buffer.concat([head, body]);
    };
    const startup = Buffer.from('\0\x03\0\0user\0postgres\0database\0postgres\0\0', 'binary');
    const len = Buffer.alloc(4);
    len.writeInt32BE(startup.length + 4);
    raw.write(Buffer.concat([len, startup]));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const value = Buffer.from('raw-value');
    const bindBody = Buffer.concat([
      Buffer.from('\0\0\0\0\0\x01', 'binary'),
      Buffer.from([0, 0, 0, value.length]),
      value,
      Buffer.from('\0\0', 'binary'),
    ]);
    // Connected first: a connection's startup waits for the session like any message, so it would
    // wait for the raw exchange's Sync as well.
    const other = await connect();
    raw.write(
      Buffer.concat([msg('P', Buffer.from('\0select $1::text as v\0\0\0', 'binary')), msg('B', bindBody)]),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const otherRead = other.query('select $1::text as w', ['from b']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    raw.write(Buffer.concat([msg('E', Buffer.from('\0\0\0\0\0', 'binary')), msg('S', Buffer.alloc(0))]));
    expect((await otherRead).rows).toEqual([{ w: 'from b' }]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    raw.end();
    const all = Buffer.concat(received).toString('binary');
    expect(all).toContain('raw-value');
    expect(all).not.toContain('from b');
  });

  it('answers parameterised statements from many connections with their own values', async () => {
    const conns = await Promise.all([connect(), connect(), connect(), connect()]);
    const wrong: string[] = [];
    await Promise.all(
      conns.map(async (c, n) => {
        for (let i = 0; i < 100; i += 1) {
          const { rows } = await c.query('select $1::text as v', [`${n}:${i}`]);
          if (rows[0].v !== `${n}:${i}`) wrong.push(rows[0].v);
        }
      }),
    );
    expect(wrong).toEqual([]);
  });
});

describe('notifications', () => {
  it('reach a listening connection when another connection notifies', async () => {
    const listener = await connect();
    const heard: string[] = [];
    listener.on('notification', (m) => heard.push(`${m.channel}:${m.payload}`));
    await listener.query('listen gatehouse_test');
    // A connection that comes and goes (startup, Terminate) must not end the shared LISTEN.
    const passing = await connect();
    await passing.end();
    const writer = await connect();
    await writer.query('begin');
    await writer.query("select pg_notify('gatehouse_test', 'one')");
    expect(heard).toEqual([]);
    await writer.query('commit');
    for (let i = 0; i < 20 && heard.length === 0; i += 1) await new Promise((r) => setTimeout(r, 50));
    expect(heard).toEqual(['gatehouse_test:one']);
  });
});

describe('the DATA_DIR lock', () => {
  let lockDir: string;
  beforeEach(() => (lockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-lock-'))));
  afterEach(() => fs.rmSync(lockDir, { recursive: true, force: true }));

  it('has one holder in a process and names it', () => {
    const first = tryLock(lockDir, 'server');
    expect('held' in first).toBe(true);
    const second = tryLock(lockDir, 'command');
    expect(second).toEqual({ owner: expect.objectContaining({ pid: process.pid, role: 'server' }) });
    if ('held' in first) first.held.release();
    expect(fs.existsSync(path.join(lockDir, LOCK_FILE))).toBe(false);
  });

  it('takes over a lock whose process is gone', () => {
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const pid = Number(dead.stdout.trim());
    fs.writeFileSync(
      path.join(lockDir, LOCK_FILE),
      JSON.stringify({ pid, role: 'server', hostname: 'x', startedAt: '' }),
    );
    const attempt = tryLock(lockDir, 'server');
    expect('held' in attempt).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(lockDir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    if ('held' in attempt) attempt.held.release();
  });

  it('gives a stale lock to exactly one of many racing processes', () => {
    const stale = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    fs.writeFileSync(
      path.join(lockDir, LOCK_FILE),
      JSON.stringify({ pid: Number(stale.stdout.trim()), role: 'server', hostname: 'x', startedAt: '' }),
    );
    const lockModule = path.resolve(__dirname, '..', '..', 'dist', 'db', 'embedded', 'lock.js');
    // Each racer takes the lock, keeps it 1 s, and prints whether it got it.
    const racer = `const { tryLock } = require(${JSON.stringify(lockModule)});
      const a = tryLock(${JSON.stringify(lockDir)}, 'server');
      console.log('held' in a ? 'held' : 'refused'); setTimeout(() => {}, 1000);`;
    const script = `const { spawn } = require('node:child_process');
      const runs = Array.from({ length: 6 }, () => new Promise((resolve) => {
        const c = spawn(process.execPath, ['-e', ${JSON.stringify(racer)}]); let out = '';
        c.stdout.on('data', (d) => (out += d)); c.on('exit', () => resolve(out.trim()));
      }));
      Promise.all(runs).then((r) => console.log(JSON.stringify(r)));`;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    const outcomes = JSON.parse(result.stdout) as string[];
    expect(outcomes.filter((o) => o === 'held')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'refused')).toHaveLength(5);
  });
});
