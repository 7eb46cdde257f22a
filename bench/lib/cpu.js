// @ts-check
/**
 * CPU time per request, on both sides of the wire: the server processes (Gatehouse nodes or the bare
 * library) from /proc/<pid>/stat, and the database side read the same way: the PostgreSQL backends
 * serving their database, found through pg_stat_activity (the server runs on this machine), or the
 * embedded database's process, a node's child. On a shared two-core
 * machine this is steadier than requests per second, and it says where the time goes.
 */
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const { Client } = require('pg');

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux nearly always). */
const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User plus system CPU milliseconds a process has used, or null when it is gone (or not Linux). */
function cpuMsOf(/** @type {number} */ pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: the fields after it follow its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of proc(5), utime and stime: positions 11 and 12 after the name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
  } catch {
    return null;
  }
}

/** The processes whose parent is `parent` (a node's embedded database process). */
function childrenOf(/** @type {number} */ parent) {
  /** @type {number[]} */
  const children = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent)
        children.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return children;
}

/** @param {number[]} pids */
function sumCpuMs(pids) {
  /** @type {Map<number, number>} */
  const each = new Map();
  for (const pid of pids) {
    const ms = cpuMsOf(pid);
    if (ms !== null) each.set(pid, ms);
  }
  return each;
}

/**
 * @typedef {object} CpuFigures
 * @property {number} serverMs       CPU of the server processes in the window
 * @property {number | null} postgresMs  CPU of the database side: the PostgreSQL backends of the
 *   target's database, or the embedded database's process
 * @property {number} loadGeneratorMs CPU of this process (autocannon) in the window
 * @property {number} postgresBackends how many backends served the window
 * @property {{ server: number; postgres: number | null; total: number } | null} perRequestMs
 */

/**
 * Measures one window: `begin()` when it opens, `end(requests)` when it closes.
 * @param {{ serverPids: number[]; databaseUrl: string | null; databaseName: string | null }} options
 */
function cpuMeter(options) {
  /** @type {Client | null} */
  let monitor = null;
  /** @type {Map<number, number>} */
  let serverStart = new Map();
  /** @type {Map<number, number>} */
  let pgStart = new Map();
  let selfStart = process.cpuUsage();
  /** The embedded database's processes, children of the nodes (none on PostgreSQL). */
  let embedded = /** @type {number[]} */ ([]);

  async function backends() {
    if (!options.databaseUrl || !options.databaseName) return [];
    if (!monitor) {
      monitor = new Client({ connectionString: options.databaseUrl });
      await monitor.connect();
    }
    const { rows } = await monitor.query(
      'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [options.databaseName],
    );
    return rows.map((r) => Number(r.pid));
  }

  return {
    /** Reads the backends first (async), then every counter at once. */
    async begin() {
      const pids = await backends();
      embedded = fs.existsSync('/proc') ? options.serverPids.flatMap(childrenOf) : [];
      pids.push(...embedded);
      serverStart = sumCpuMs(options.serverPids);
      pgStart = sumCpuMs(pids);
      selfStart = process.cpuUsage();
    },
    /** @returns {Promise<Omit<CpuFigures, 'perRequestMs'>>} */
    async end() {
      const self = process.cpuUsage(selfStart);
      const serverEnd = sumCpuMs(options.serverPids);
      const pgEndKnown = sumCpuMs([...pgStart.keys()]);
      // A backend that started inside the window counts whole (its first read is its start).
      const later = (await backends()).filter((pid) => !pgStart.has(pid));
      const pgEnd = new Map([...pgEndKnown, ...sumCpuMs(later)]);
      let serverMs = 0;
      for (const [pid, ms] of serverEnd) serverMs += ms - (serverStart.get(pid) ?? ms);
      let postgresMs = 0;
      for (const [pid, ms] of pgEnd) postgresMs += ms - (pgStart.get(pid) ?? 0);
      await monitor?.end().catch(() => undefined);
      monitor = null;
      const hasPg = Boolean(options.databaseUrl) || embedded.length > 0;
      return {
        serverMs: Math.round(serverMs),
        postgresMs: hasPg ? Math.round(postgresMs) : null,
        loadGeneratorMs: Math.round((self.user + self.system) / 1000),
        postgresBackends: pgEnd.size,
      };
    },
  };
}

/**
 * The window's CPU divided by the responses counted in it.
 * @param {Omit<CpuFigures, 'perRequestMs'>} cpu @param {number} requests @returns {CpuFigures}
 */
function perRequest(cpu, requests) {
  const per = (/** @type {number} */ ms) => Math.round((ms / requests) * 1000) / 1000;
  return {
    ...cpu,
    perRequestMs: requests
      ? {
          server: per(cpu.serverMs),
          postgres: cpu.postgresMs === null ? null : per(cpu.postgresMs),
          total: per(cpu.serverMs + (cpu.postgresMs ?? 0)),
        }
      : null,
  };
}

module.exports = { cpuMeter, cpuMsOf, perRequest, TICKS };
