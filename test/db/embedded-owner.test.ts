/**
 * The embedded database on disk has one owner: the running server's database process (forked by the
 * server) opens DATA_DIR's files, names itself in the lock, and serves them on a unix socket; the
 * server itself, the CLI, knex and a second node reach them through it, and their writes are the
 * server's at once. The two end together, and a killed owner's lock is taken over on restart, with
 * every write it confirmed still there.
 *
 * Real processes throughout. The suite always runs on the embedded database, whatever DATABASE_URL
 * says (the children get only the environment given here), so CI runs it in its embedded pass only
 * (.ci/run).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { DEMO_SERVICE as SERVICE, type ClientCredentials } from '../support/fixtures';
import { isActive, tokenRequest } from '../support/http';
import { ROOT, startProcess, type NodeProcess } from '../support/process';
import { freePort, testEnv } from '../support/server';

jest.setTimeout(60_000);

let database: TestDatabase;
let dataDir: string;
let port: number;
let env: Record<string, string>;
let owner: NodeProcess | undefined;
let second: NodeProcess | undefined;
let created: { id: string; secret: string };

interface Lock {
  pid: number;
  role: string;
  served?: { host: string; port: number };
}

const lockPath = () => path.join(dataDir, 'gatehouse.lock');
const readLock = () => JSON.parse(fs.readFileSync(lockPath(), 'utf8')) as Lock;
async function clientCredentials(url: string, client: ClientCredentials) {
  const { status, body } = await tokenRequest(url, { grant_type: 'client_credentials' }, client);
  return { status, body: body as { access_token?: string; error?: string } };
}

/** The files under pgdata that a process has open (Linux: its descriptors in /proc). */
function openDataFiles(pid: number): string[] {
  const fdDir = `/proc/${pid}/fd`;
  const pgdata = fs.realpathSync(path.join(dataDir, 'pgdata'));
  return fs
    .readdirSync(fdDir)
    .map((fd) => {
      try {
        return fs.readlinkSync(path.join(fdDir, fd));
      } catch {
        return '';
      }
    })
    .filter((target) => target.startsWith(pgdata));
}

function parentOf(pid: number): number {
  // /proc/<pid>/stat: "pid (comm) state ppid …", where comm may itself hold spaces or parentheses.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function readStat(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return '';
  }
}

/** Alive and not a zombie waiting for whoever inherited it to reap it. */
const isRunning = (pid: number) => /^\S+ \(.*\) [^ZX]/s.test(readStat(pid));

/** The pid of the node's database process: the one the lock names, which must be the node's child. */
function databaseProcessOf(node: NodeProcess): number {
  const { pid } = readLock();
  expect({ pid, parent: parentOf(pid) }).toEqual({ pid: expect.any(Number), parent: node.child.pid });
  return pid;
}

async function waitUntilGone(pid: number): Promise<void> {
  for (let i = 0; i < 200 && isRunning(pid); i += 1) await new Promise((r) => setTimeout(r, 25));
  expect(isRunning(pid)).toBe(false);
}

/** Reads the lock's pid every few milliseconds while `run` runs: who owned the files meanwhile. */
async function lockOwnersDuring<T>(run: () => Promise<T>): Promise<{ result: T; pids: Set<number> }> {
  const pids = new Set<number>();
  const timer = setInterval(() => {
    try {
      pids.add(readLock().pid);
    } catch {
      pids.add(0); // no lock, or one half written: either would be a fault here
    }
  }, 5);
  try {
    return { result: await run(), pids };
  } finally {
    clearInterval(timer);
  }
}

/** `npx knex …` from the repository root, as a developer runs it, on this DATA_DIR only. */
function knexCli(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'knex', 'bin', 'cli.js'), ...args],
      {
        cwd: ROOT,
        // An empty DATABASE_URL keeps a developer's .env (which dotenv would load) from pointing elsewhere.
        env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, DATABASE_URL: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

beforeAll(async () => {
  database = await createTestDatabase({ persistent: true, embedded: true });
  dataDir = database.env.DATA_DIR!;
  port = await freePort();
  env = testEnv(port, database);
  owner = await startProcess(env);
});

afterAll(async () => {
  await second?.stop('SIGKILL');
  let ownerDb: number | undefined;
  try {
    ownerDb = readLock().pid;
  } catch {
    ownerDb = undefined;
  }
  await owner?.stop('SIGKILL');
  // The database process closes the files once its node is gone: before they are removed.
  if (ownerDb) await waitUntilGone(ownerDb);
  await database?.drop();
});

describe('a server that owns DATA_DIR', () => {
  let ownerDb: number;

  it('has its database process name itself in the lock and serve the files on a socket in DATA_DIR', () => {
    ownerDb = databaseProcessOf(owner!);
    expect(readLock()).toMatchObject({ pid: ownerDb, role: 'server', served: { host: dataDir, port: 5432 } });
    expect(fs.statSync(path.join(dataDir, '.s.PGSQL.5432')).isSocket()).toBe(true);
    expect(openDataFiles(ownerDb).length).toBeGreaterThan(0);
    // The node itself reaches the files through the socket, as every other process does.
    expect(openDataFiles(owner!.child.pid!)).toEqual([]);
  });

  it('serves a client the CLI created, at once', async () => {
    const { result, pids } = await lockOwnersDuring(() =>
      runCli(['client', 'create', '--name', 'Owner test', '--grant', 'client_credentials', '--json'], env),
    );
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as { client_id: string; client_secret: string };
    created = { id: out.client_id, secret: out.client_secret };
    // The CLI went through the socket: the files stayed the server's all along.
    expect([...pids]).toEqual([ownerDb]);
    const { status, body } = await clientCredentials(owner!.url, created);
    expect({ status, error: body.error }).toEqual({ status: 200, error: undefined });
  });

  it('runs knex migrations and seeds through the server', async () => {
    const { result, pids } = await lockOwnersDuring(async () => [
      await knexCli(['migrate:latest']),
      await knexCli(['seed:run']),
    ]);
    for (const run of result)
      expect({ code: run.code, output: run.output }).toEqual({ code: 0, output: expect.any(String) });
    expect(result[1]!.output).toMatch(/Ran 1 seed files/);
    expect([...pids]).toEqual([ownerDb]);
    expect((await clientCredentials(owner!.url, SERVICE)).status).toBe(200);
  });

  it('lets a second node on the same DATA_DIR serve tokens the first one knows', async () => {
    // One issuer for both nodes, as behind a load balancer.
    second = await startProcess(testEnv(await freePort(), database, { ISSUER: env.ISSUER! }));
    const { status, body } = await clientCredentials(second.url, SERVICE);
    expect(status).toBe(200);
    expect(await isActive(owner!.url, body.access_token!)).toBe(true);
    // The second node connected: it holds no file of the database, keeps no database process of its
    // own, and the lock is still the owner's.
    expect(openDataFiles(second.child.pid!)).toEqual([]);
    expect(readLock().pid).toBe(ownerDb);
    expect(parentOf(ownerDb)).toBe(owner!.child.pid);
    await second.stop();
    second = undefined;
  });

  it('keeps everything across a restart, and cleans up on SIGTERM', async () => {
    expect(await owner!.stop()).toBe(0);
    // The node exits only once its database process has closed the files and released the lock.
    expect(isRunning(ownerDb)).toBe(false);
    expect(fs.existsSync(lockPath())).toBe(false);
    expect(fs.existsSync(path.join(dataDir, '.s.PGSQL.5432'))).toBe(false);
    owner = await startProcess(env);
    databaseProcessOf(owner);
    expect((await clientCredentials(owner.url, created)).status).toBe(200);
  });
});

describe('an owner killed under write load', () => {
  /**
   * What is killed, in turn: the database process (the node then exits, and its lock is left behind,
   * naming the dead process), the node (its database process closes the files and releases the
   * lock), or both at once, as a power loss would.
   */
  const VICTIMS = ['database', 'node', 'both', 'database', 'node', 'both'] as const;
  const LOOPS = 3;
  const SAMPLE = 50;
  const LAST = 10;

  /** Issues tokens from LOOPS concurrent loops until `kill` ends the node; returns those answered 200. */
  async function issueUntilKilled(node: NodeProcess, kill: () => Promise<void>): Promise<string[]> {
    const issued: string[] = [];
    let dead = false;
    const loop = async () => {
      while (!dead) {
        try {
          const { status, body } = await clientCredentials(node.url, created);
          if (status === 200 && body.access_token) issued.push(body.access_token);
        } catch {
          dead = true; // the connection failed: the node is gone
        }
      }
    };
    const loops = Array.from({ length: LOOPS }, loop);
    // Kill once enough tokens are out, at an arbitrary point of the writes in flight.
    for (let i = 0; i < 100 && issued.length < 150; i += 1) await new Promise((r) => setTimeout(r, 20));
    await kill();
    await Promise.all(loops);
    return issued;
  }

  function sample(tokens: string[]): string[] {
    const picked = new Set(tokens.slice(-LAST));
    for (let i = 0; picked.size < Math.min(tokens.length, SAMPLE + LAST) && i < tokens.length * 4; i += 1)
      picked.add(tokens[Math.floor(Math.random() * tokens.length)]!);
    return [...picked];
  }

  it(`keeps every token it answered 200 for, over ${VICTIMS.length} kills, and a stale lock is taken over`, async () => {
    const lost: { victim: string; issued: number; checked: number; inactive: number; exit: unknown }[] = [];
    for (const victim of VICTIMS) {
      const killed = owner!;
      const db = databaseProcessOf(killed);
      let exit: number | null = null;
      const issued = await issueUntilKilled(killed, async () => {
        if (victim === 'database') {
          process.kill(db, 'SIGKILL');
          // Without its database the node ends by itself, failing loudly (exit 1); SIGCONT changes
          // nothing, so this only waits for that.
          exit = await killed.stop('SIGCONT');
          return;
        }
        const stopped = killed.stop('SIGKILL');
        if (victim === 'both') process.kill(db, 'SIGKILL');
        exit = await stopped;
      });
      expect(issued.length).toBeGreaterThan(LAST);
      await waitUntilGone(db);
      const lockLeft = fs.existsSync(lockPath()) ? readLock().pid : 'none';
      // A database process killed leaves its lock behind, naming it; one whose node was killed
      // releases it; killed both (the files' owner possibly mid-release), either is right.
      if (victim === 'database') expect(lockLeft).toBe(db);
      if (victim === 'node') expect(lockLeft).toBe('none');
      if (victim === 'both') expect([db, 'none']).toContain(lockLeft);
      owner = await startProcess(env);
      expect(readLock()).toMatchObject({ pid: databaseProcessOf(owner), role: 'server' });
      const checked = sample(issued);
      const active: boolean[] = [];
      for (let i = 0; i < checked.length; i += 10)
        active.push(...(await Promise.all(checked.slice(i, i + 10).map((t) => isActive(owner!.url, t)))));
      lost.push({
        victim,
        issued: issued.length,
        checked: checked.length,
        inactive: active.filter((a) => !a).length,
        exit,
      });
    }
    // The figures per kill, so a loss shows how large it was.
    expect(lost).toEqual(lost.map((l) => ({ ...l, inactive: 0, exit: l.victim === 'database' ? 1 : null })));
  }, 180_000);
});
