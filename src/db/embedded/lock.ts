/**
 * The owner's lock on the embedded database: DATA_DIR/gatehouse.lock, created atomically (`wx`) by
 * the one process that opens the files, and naming that process. A server owner also records there
 * where it serves the database (owner.ts), so that every other process connects instead of opening
 * the files a second time: two PGlite instances on one pgdata corrupt it.
 *
 * A lock whose process is gone (SIGKILL, power loss) is taken over: under a takeover guard, judged
 * stale once more, removed, and replaced, again with `wx`. Of
 * processes racing over one stale lock, one creates the new lock and the others find it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export const LOCK_FILE = 'gatehouse.lock';

/** Where a server owner serves the database over the PostgreSQL wire protocol. */
export interface ServedAt {
  /** The folder holding the unix socket `.s.PGSQL.<port>` (what libpq and pg call host). */
  host: string;
  port: number;
}

export interface LockContent {
  pid: number;
  hostname: string;
  /** `server`: a node that serves the database while it runs; `command`: a CLI or knex run. */
  role: 'server' | 'command';
  startedAt: string;
  served?: ServedAt;
}

export interface HeldLock {
  readonly path: string;
  /** Rewrites the lock's content (the owner adds where it serves the database). */
  update(content: LockContent): void;
  /** Removes the lock if it is still this process's own. */
  release(): void;
}

export type LockAttempt = { held: HeldLock } | { owner: LockContent };

/** The locks this process holds: its own pid in a lock means stale only when it is not one of them. */
const heldHere = new Set<string>();

function isAlive(pid: number, lockPath: string): boolean {
  // A lock naming this very process that it does not hold is left from an earlier life of the same
  // pid (a container's pid 1 restarted).
  if (pid === process.pid) return heldHere.has(lockPath);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parse(text: string): LockContent | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockContent>;
    return typeof value.pid === 'number' && Number.isInteger(value.pid) && value.pid > 0
      ? (value as LockContent)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the whole content through a temporary file and a rename, so a reader never sees half. */
function writeOver(lockPath: string, content: LockContent): void {
  const temp = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(temp, JSON.stringify(content), { mode: 0o600, flag: 'wx' });
  fs.renameSync(temp, lockPath);
}

function heldLock(lockPath: string): HeldLock {
  heldHere.add(lockPath);
  let ino = fs.statSync(lockPath).ino;
  return {
    path: lockPath,
    update(content) {
      writeOver(lockPath, content);
      ino = fs.statSync(lockPath).ino;
    },
    release() {
      heldHere.delete(lockPath);
      try {
        if (fs.statSync(lockPath).ino === ino) fs.unlinkSync(lockPath);
      } catch {
        // Already gone: nothing to release.
      }
    },
  };
}

/** Creates the lock if no file is there; false when one is. */
function create(lockPath: string, content: LockContent): boolean {
  let fd: number;
  try {
    fd = fs.openSync(lockPath, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fs.writeSync(fd, JSON.stringify(content));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/** How old a takeover guard must be before it counts as left by a process that died holding it. */
const TAKEOVER_STALE_MS = 10_000;

/**
 * Runs `take` as the only process taking over a stale lock. Judging a lock stale and removing it are
 * two steps: without this guard, a second process could judge the same lock stale, then remove the
 * fresh lock the first one created in between, and both would hold the files. The guard is a file
 * created with `wx` for the microseconds of a takeover; one older than TAKEOVER_STALE_MS is left by a
 * process that died inside it.
 */
function whileTakingOver(lockPath: string, take: () => void): boolean {
  const guard = `${lockPath}.takeover`;
  try {
    fs.closeSync(fs.openSync(guard, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      if (Date.now() - fs.statSync(guard).mtimeMs > TAKEOVER_STALE_MS) fs.rmSync(guard, { force: true });
    } catch {
      // Gone meanwhile: the next attempt creates it.
    }
    return false;
  }
  try {
    take();
  } finally {
    fs.rmSync(guard, { force: true });
  }
  return true;
}

/** What the lock file says now: nobody holds it, it is stale, or who holds it. */
type Judgement = { absent: true } | { stale: true } | { owner: LockContent };

function judge(lockPath: string): Judgement {
  let text: string;
  let mtimeMs: number;
  try {
    mtimeMs = fs.statSync(lockPath).mtimeMs;
    text = fs.readFileSync(lockPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { absent: true };
    throw err;
  }
  const owner = parse(text);
  // An unreadable lock is as likely a half-written one (its owner died between create and write)
  // as a live one still being written: it counts as stale only once its file is a few seconds old.
  if (owner === undefined)
    return Date.now() - mtimeMs < 5000
      ? { owner: { pid: 0, hostname: '', role: 'command', startedAt: '' } }
      : { stale: true };
  return isAlive(owner.pid, lockPath) ? { owner } : { stale: true };
}

/**
 * Removes the lock if it is stale, judged again inside the takeover guard: only there is a lock
 * removed, and creators (`wx`) never replace one, so what is judged is what is removed. (The inode
 * seen outside the guard would not do: a file system hands a freed inode number to the next file,
 * the fresh lock of the process that took over first.)
 */
function removeStale(lockPath: string): boolean {
  return whileTakingOver(lockPath, () => {
    if ('stale' in judge(lockPath)) fs.rmSync(lockPath, { force: true });
  });
}

/** What a synchronous pause of a few milliseconds waits on (nothing ever notifies it). */
const pause = new Int32Array(new SharedArrayBuffer(4));

/** Takes the lock, or tells who holds it. Never waits for an owner, only for a takeover under way. */
export function tryLock(dataDir: string, role: LockContent['role']): LockAttempt {
  const lockPath = path.join(dataDir, LOCK_FILE);
  const content: LockContent = {
    pid: process.pid,
    hostname: os.hostname(),
    role,
    startedAt: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (create(lockPath, content)) return { held: heldLock(lockPath) };
    const found = judge(lockPath);
    if ('owner' in found) return { owner: found.owner };
    // Another process is taking the same lock over: it is done within a millisecond or two.
    if ('stale' in found && !removeStale(lockPath)) Atomics.wait(pause, 0, 0, 5);
  }
  throw new Error(`cannot take the lock ${lockPath}: it keeps changing`);
}
