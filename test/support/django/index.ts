/**
 * A real django-oauth-toolkit project for the import tests: `django-admin startproject`, DOT added to
 * it (settings_tail.py, dotproject/*.py), `manage.py migrate` on a fresh PostgreSQL database or a
 * SQLite file, seed.py's users and applications, DOT's own dev server on a loopback port, and
 * `manage.py dumpdata`. Debian's Python (/usr/bin/python3) has the packages; the pyenv python3 on
 * PATH does not.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../server';

export const PYTHON = '/usr/bin/python3';
const FIXTURE = __dirname;

/** Why the Django tests cannot run on this machine (the reason to print), or null when they can. */
export function djangoUnavailable(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import django, oauth2_provider'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} cannot run: ${probe.error.message}`;
  if (probe.status !== 0) return `${PYTHON} cannot import django and oauth2_provider: ${probe.stderr.trim()}`;
  return null;
}

/**
 * `describe` when Debian's Django and django-oauth-toolkit are there, else `describe.skip` with a
 * warning that names the file and the packages (.ci/run installs them).
 */
export function describeWithDjango(file: string): jest.Describe {
  const unavailable = djangoUnavailable();
  if (!unavailable) return describe;
  console.warn(
    `SKIPPED ${file}: ${unavailable}\n` +
      'apt-get install python3-django python3-django-oauth-toolkit python3-argon2 python3-bcrypt ' +
      'python3-requests-oauthlib python3-psycopg2 (.ci/run does)',
  );
  return describe.skip;
}

export interface SeededUser {
  username: string;
  password: string;
  /** describeDjangoHash's format name ('argon2' for both variants), or 'unusable'. */
  format: string;
  superuser?: boolean;
  staff?: boolean;
  inactive?: boolean;
}

export type ApplicationKey =
  | 'password'
  | 'password_public'
  | 'service'
  | 'resource_server'
  | 'hashed_service'
  | 'web'
  | 'spa'
  | 'legacy_implicit'
  | 'hybrid';

export interface SeededApplication {
  id: number;
  client_id: string;
  /** The plain secret ('' for public clients), also for the one stored hashed. */
  client_secret: string;
  client_type: 'confidential' | 'public';
  grant_type: string;
  /** Stored as make_password(client_secret), as DOT >= 2.0 does. */
  hashed: boolean;
}

/** What seed.py made (its JSON). */
export interface Seeded {
  users: SeededUser[];
  groups: Record<string, string[]>;
  applications: Record<ApplicationKey, SeededApplication>;
  expired_token: string;
}

export interface PythonResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface DjangoServer {
  url: string;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

export interface DjangoProject {
  dir: string;
  engine: 'postgresql' | 'sqlite';
  /** The Django database as `gatehouse import django --database-url` takes it (PostgreSQL only). */
  databaseUrl: string | null;
  /** Runs `manage.py …args`; fails unless it exits 0. */
  manage(args: string[], env?: Record<string, string>): Promise<PythonResult>;
  /** Runs one of the fixture's scripts (copied into the project) with arguments. */
  script(name: string, args: string[], env?: Record<string, string>): Promise<PythonResult>;
  seed(): Promise<Seeded>;
  /** `manage.py runserver 127.0.0.1:PORT --noreload`, answering once it does. */
  runserver(options?: { settings?: string; env?: Record<string, string> }): Promise<DjangoServer>;
  /** `manage.py dumpdata auth.user auth.group oauth2_provider`, written to a file; returns its path. */
  dumpdata(): Promise<string>;
  /** Stops every server it started, drops the database, removes the directory. */
  close(): Promise<void>;
}

const PG_ADMIN = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: PG_ADMIN });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function run(args: string[], cwd: string, env: Record<string, string>, timeoutMs = 120_000) {
  return new Promise<PythonResult>((resolve, reject) => {
    const child = spawn(PYTHON, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function ok(what: string, result: PythonResult): PythonResult {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Copies the fixture's project files over what startproject generated. */
function overlay(dir: string): void {
  for (const name of fs.readdirSync(path.join(FIXTURE, 'dotproject')))
    if (name.endsWith('.py'))
      fs.copyFileSync(path.join(FIXTURE, 'dotproject', name), path.join(dir, 'dotproject', name));
  for (const name of ['seed.py', 'oauth_client.py'])
    fs.copyFileSync(path.join(FIXTURE, name), path.join(dir, name));
  fs.appendFileSync(
    path.join(dir, 'dotproject', 'settings.py'),
    fs.readFileSync(path.join(FIXTURE, 'settings_tail.py')),
  );
}

export async function createDjangoProject(engine: 'postgresql' | 'sqlite'): Promise<DjangoProject> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-django-'));
  const name = `gatehouse_dj_${randomBytes(6).toString('hex')}`;
  let databaseUrl: string | null = null;
  const dbEnv: Record<string, string> = { DJANGO_DB_ENGINE: engine };
  if (engine === 'postgresql') {
    await adminQuery(`create database ${name}`);
    const url = new URL(PG_ADMIN);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    Object.assign(dbEnv, {
      DJANGO_DB_NAME: name,
      DJANGO_DB_HOST: url.hostname,
      DJANGO_DB_PORT: url.port || '5432',
      DJANGO_DB_USER: decodeURIComponent(url.username) || 'postgres',
      DJANGO_DB_PASSWORD: decodeURIComponent(url.password),
    });
  } else {
    dbEnv.DJANGO_DB_NAME = path.join(dir, 'db.sqlite3');
  }
  // Only what Django needs: nothing of the pyenv setup on PATH, no proxies for requests.
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    PATH: '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    TZ: 'UTC',
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    DJANGO_SETTINGS_MODULE: 'dotproject.settings',
    ...dbEnv,
    ...extra,
  });
  const servers: { child: ChildProcess }[] = [];

  ok('django-admin startproject', await run(['-m', 'django', 'startproject', 'dotproject', dir], dir, env()));
  overlay(dir);

  const project: DjangoProject = {
    dir,
    engine,
    databaseUrl,
    async manage(args, extra) {
      return ok(`manage.py ${args.join(' ')}`, await run(['manage.py', ...args], dir, env(extra)));
    },
    async script(script, args, extra) {
      return run([script, ...args], dir, env(extra));
    },
    async seed() {
      return JSON.parse(ok('seed.py', await run(['seed.py'], dir, env())).stdout) as Seeded;
    },
    async runserver(options = {}) {
      const port = await freePort();
      const extra = {
        ...options.env,
        ...(options.settings ? { DJANGO_SETTINGS_MODULE: options.settings } : {}),
      };
      const child = spawn(PYTHON, ['manage.py', 'runserver', `127.0.0.1:${port}`, '--noreload'], {
        cwd: dir,
        env: env(extra),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      servers.push({ child });
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`runserver exited ${child.exitCode}:\n${out}`);
        // Any answer means it serves (the protected view answers 403 without a token).
        const up = await fetch(`${url}/api/hello/`).then(
          () => true,
          () => false,
        );
        if (up) break;
        if (Date.now() > deadline) {
          await stopChild(child);
          throw new Error(`runserver did not answer:\n${out}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      return { url, pid: child.pid!, output: () => out, stop: () => stopChild(child) };
    },
    async dumpdata() {
      const file = path.join(dir, 'dump.json');
      const { stdout } = await project.manage([
        'dumpdata',
        'auth.user',
        'auth.group',
        'oauth2_provider',
        '--indent',
        '2',
      ]);
      fs.writeFileSync(file, stdout);
      return file;
    },
    async close() {
      await Promise.all(servers.map((s) => stopChild(s.child)));
      if (engine === 'postgresql') await adminQuery(`drop database if exists ${name} with (force)`);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return project;
}
