/**
 * The embedded database on disk: PGlite keeps everything PostgreSQL writes under DATA_DIR/pgdata, the
 * write-ahead log included, and the WAL holds client secrets and password hashes as they were
 * written. So DATA_DIR, pgdata and every folder below are the owner's only (0700) and every file is
 * too (0600), as PostgreSQL's own initdb makes them.
 *
 * A umask of 0o077 would not do it: PGlite's Node filesystem (emscripten's NODEFS) creates each file
 * and then chmods it to the mode PostgreSQL asked for inside the WASM runtime (0666 for the files of
 * its initdb tarball, 0644 for the files PostgreSQL opens with fopen), and chmod ignores the umask;
 * only folders follow it. The modes are masked instead where they reach the host's disk, for the
 * files created now and later (WAL segments, relation files), and whatever an earlier version left
 * looser is tightened before the database opens. The process umask stays as it is.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';
import { ConfigError } from '../config';

/** The folder under DATA_DIR that holds PostgreSQL's data directory. */
const PGDATA = 'pgdata';

/** Group and other permission bits: none of them is set on anything under DATA_DIR. */
const GROUP_OTHER = 0o077;
const PRIVATE_DIR = 0o700;

const octal = (mode: number) => `0${(mode & 0o7777).toString(8)}`;

/**
 * Refuses a world-writable DATA_DIR before anything inside it is created or opened: any user could
 * have put a pgdata of their own there, or a link to one.
 */
function refuseWorldWritable(dataDir: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dataDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!stat.isDirectory()) throw new ConfigError(`DATA_DIR: ${dataDir} is not a folder`);
  if (stat.mode & 0o002)
    throw new ConfigError(
      `DATA_DIR: ${dataDir} is writable by every user (mode ${octal(stat.mode)}); the embedded database ` +
        `refuses to live there: choose a folder of its own or make it private (chmod 700 ${dataDir})`,
    );
}

/** Removes the group and other bits of one folder or file. */
function tighten(target: string, stat: fs.Stats): void {
  if (!(stat.mode & GROUP_OTHER)) return;
  try {
    fs.chmodSync(target, stat.mode & 0o7777 & ~GROUP_OTHER);
  } catch (err) {
    throw new ConfigError(`DATA_DIR: cannot make ${target} private: ${(err as Error).message}`);
  }
}

/**
 * Tightens a folder (followed when it is a link: pgdata on a volume of its own) and everything below
 * it; links below it are neither followed nor changed.
 */
export function tightenTree(root: string): void {
  const pending = [root];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    tighten(dir, dir === root ? fs.statSync(dir) : fs.lstatSync(dir));
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const target = path.join(dir, entry.name);
      if (entry.isDirectory()) pending.push(target);
      else if (entry.isFile()) tighten(target, fs.lstatSync(target));
    }
  }
}

/**
 * Makes DATA_DIR itself ready, before its lock is written into it (embedded/lock.ts): refuses a
 * world-writable one, creates it as 0700 or makes it so. Leaves pgdata alone: its owner may be
 * another process.
 */
export function prepareDataDir(dataDir: string): void {
  refuseWorldWritable(dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR });
  tighten(dataDir, fs.statSync(dataDir));
}

/**
 * Makes DATA_DIR ready for the embedded database: refuses a world-writable one, creates DATA_DIR
 * and pgdata as 0700, and tightens whatever is already there. Returns the path of pgdata.
 */
export function preparePgdata(dataDir: string): string {
  prepareDataDir(dataDir);
  const pgdata = path.join(dataDir, PGDATA);
  fs.mkdirSync(pgdata, { recursive: true, mode: PRIVATE_DIR });
  tightenTree(pgdata);
  return pgdata;
}

type EmscriptenOptions = Parameters<NodeFS['init']>[1];
type PostgresModule = Parameters<NonNullable<EmscriptenOptions['preRun']>[number]>[0];

interface ModeAttributes {
  mode?: number;
}

/** The operations of emscripten's NODEFS through which a mode reaches the host's disk. */
interface HostFsOperations {
  node_ops: {
    mknod(parent: unknown, name: string, mode: number, dev: number): unknown;
    setattr(node: unknown, attributes: ModeAttributes): void;
  };
  stream_ops: { setattr(stream: unknown, attributes: ModeAttributes): void };
}

const withoutGroupOther = (attributes: ModeAttributes): ModeAttributes =>
  attributes.mode === undefined ? attributes : { ...attributes, mode: attributes.mode & ~GROUP_OTHER };

/**
 * Masks the group and other bits of every mode PostgreSQL gives a file or folder on the host: at
 * creation (mknod) and at every chmod, by path or by descriptor.
 */
function maskHostModes(mod: PostgresModule): void {
  const nodefs = (mod as unknown as { NODEFS?: Partial<HostFsOperations> }).NODEFS;
  const nodeOps = nodefs?.node_ops;
  const streamOps = nodefs?.stream_ops;
  if (
    typeof nodeOps?.mknod !== 'function' ||
    typeof nodeOps.setattr !== 'function' ||
    typeof streamOps?.setattr !== 'function'
  )
    throw new Error("the embedded database cannot keep its files private: PGlite's filesystem changed");
  const { mknod, setattr } = nodeOps;
  const streamSetattr = streamOps.setattr;
  nodeOps.mknod = (parent, name, mode, dev) => mknod.call(nodeOps, parent, name, mode & ~GROUP_OTHER, dev);
  nodeOps.setattr = (node, attributes) => setattr.call(nodeOps, node, withoutGroupOther(attributes));
  streamOps.setattr = (stream, attributes) =>
    streamSetattr.call(streamOps, stream, withoutGroupOther(attributes));
}

/** PGlite's Node filesystem, with the modes of what it writes masked to the owner's. */
class PrivateNodeFS extends NodeFS {
  override async init(pg: Parameters<NodeFS['init']>[0], options: EmscriptenOptions) {
    const { emscriptenOpts } = await super.init(pg, options);
    return {
      emscriptenOpts: { ...emscriptenOpts, preRun: [...(emscriptenOpts.preRun ?? []), maskHostModes] },
    };
  }
}

/**
 * Opens (creating on first use) the embedded database under DATA_DIR, its files private. Only the
 * holder of DATA_DIR's lock may call it (embedded/open.ts): a second PGlite on the same files
 * corrupts them.
 */
export function openEmbeddedDatabase(dataDir: string): PGlite {
  const pgdata = preparePgdata(dataDir);
  return new PGlite({ dataDir: pgdata, fs: new PrivateNodeFS(pgdata) });
}
