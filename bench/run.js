// @ts-check
/**
 * `npm run bench`: Gatehouse against the bare oidc-provider in one run (issue 8).
 *
 *   npm run bench                 short run (~3 minutes)
 *   npm run bench -- --full       longer runs and a 5-minute soak
 *   npm run bench -- --smoke      seconds: two scenarios, for the test that keeps this script alive
 *   --targets bare,pg,pglite,pglite-socket,pg2  --scenarios a,b  --connections 16,64  --warmup S  --duration S
 *   --soak S  --out FILE  --cpu-prof (Gatehouse nodes write .cpuprofile files to bench/results/profiles)
 *   --env NAME=VALUE              extra environment for the Gatehouse nodes (repeatable)
 *   --database-url URL            the PostgreSQL server to create the benchmark's database on
 *                                 (default postgres://postgres@127.0.0.1:5432/postgres, or BENCH_DATABASE_URL)
 *
 * Every server is a child process on 127.0.0.1; the load generator runs here. Data: the demo seed
 * (clients, users) on a fresh database per target, tokens from the password grant. Databases and
 * temporary directories are removed at the end, also on Ctrl-C.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { parseArgs } = require('node:util');
const bcrypt = require('bcrypt');
const { Collector, cannon, logins, requests, passwordTokens, fillRefreshPool } = require('./lib/load');
const { checkTargets, resultsTable, checksTable } = require('./lib/report');
const { cpuMeter, perRequest } = require('./lib/cpu');
const servers = require('./lib/servers');

const SCENARIOS = [
  'client_credentials',
  'client_credentials_jwt',
  'password',
  'refresh_token',
  'introspection',
  'profile',
  'authorization_code',
];
const BARE_SCENARIOS = new Set([
  'client_credentials',
  'client_credentials_jwt',
  'password',
  'refresh_token',
  'introspection',
]);

/**
 * @typedef {{ name: string; label: string; kind: 'bare' | 'gatehouse'; database: 'postgres' | 'embedded' | null;
 *   processes: number; loadOnFollowers?: boolean }} Target
 */
/** @type {Record<string, Target>} */
const TARGETS = {
  bare: { name: 'bare', label: 'bare oidc-provider (memory)', kind: 'bare', database: null, processes: 1 },
  pg: { name: 'pg', label: 'Gatehouse PostgreSQL x1', kind: 'gatehouse', database: 'postgres', processes: 1 },
  pglite: {
    name: 'pglite',
    label: 'Gatehouse PGlite x1',
    kind: 'gatehouse',
    database: 'embedded',
    processes: 1,
  },
  // A second node on the same DATA_DIR, which reaches the first node's database process over its
  // socket as the first node does (db/embedded/open.ts); all load goes to that second node.
  'pglite-socket': {
    name: 'pglite-socket',
    label: 'Gatehouse PGlite 2nd node',
    kind: 'gatehouse',
    database: 'embedded',
    processes: 2,
    loadOnFollowers: true,
  },
  pg2: {
    name: 'pg2',
    label: 'Gatehouse PostgreSQL x2',
    kind: 'gatehouse',
    database: 'postgres',
    processes: 2,
  },
};

function options() {
  const { values } = parseArgs({
    options: {
      full: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      targets: { type: 'string' },
      scenarios: { type: 'string' },
      connections: { type: 'string' },
      warmup: { type: 'string' },
      duration: { type: 'string' },
      soak: { type: 'string' },
      out: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      'database-url': { type: 'string' },
      'bcrypt-cost': { type: 'string' },
      env: { type: 'string', multiple: true },
    },
  });
  const mode = values.smoke ? 'smoke' : values.full ? 'full' : 'default';
  const preset = {
    smoke: {
      targets: 'bare,pglite',
      scenarios: 'client_credentials,introspection',
      connections: '16',
      warmup: 0.5,
      duration: 1,
      soak: 2,
      bcrypt: 1,
    },
    default: {
      targets: 'bare,pg,pglite,pglite-socket,pg2',
      scenarios: SCENARIOS.join(','),
      connections: '16,64',
      warmup: 1,
      duration: 2,
      soak: 20,
      bcrypt: 2,
    },
    full: {
      targets: 'bare,pg,pglite,pglite-socket,pg2',
      scenarios: SCENARIOS.join(','),
      connections: '16,64',
      warmup: 3,
      duration: 10,
      soak: 300,
      bcrypt: 5,
    },
  }[mode];
  const list = (/** @type {string} */ v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const targets = list(values.targets ?? preset.targets);
  for (const t of targets)
    if (!TARGETS[t]) throw new Error(`unknown target ${t} (${Object.keys(TARGETS).join(', ')})`);
  const scenarios = list(values.scenarios ?? preset.scenarios);
  for (const s of scenarios)
    if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s} (${SCENARIOS.join(', ')})`);
  return {
    mode,
    targets,
    scenarios,
    connections: list(values.connections ?? preset.connections).map(Number),
    warmup: Number(values.warmup ?? preset.warmup),
    duration: Number(values.duration ?? preset.duration),
    soak: Number(values.soak ?? preset.soak),
    // V8 grows its heap and the allocator its arenas during the first minute under load (heap used
    // after a GC stays flat): the full run warms up that long before RSS is read.
    soakWarmup: mode === 'full' ? 60 : Math.max(1, Math.min(10, Number(values.soak ?? preset.soak) / 4)),
    bcryptSeconds: preset.bcrypt,
    bcryptCost: Number(values['bcrypt-cost'] ?? 10),
    out: values.out,
    /** Extra environment for the Gatehouse nodes (`--env DATABASE_POOL_MAX=4`), for experiments. */
    env: Object.fromEntries(
      (values.env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    ),
    cpuProf: values['cpu-prof'] ?? false,
    adminUrl:
      values['database-url'] ??
      process.env.BENCH_DATABASE_URL ??
      'postgres://postgres@127.0.0.1:5432/postgres',
  };
}

/** A progress line that rewrites itself on a terminal. */
function progress(/** @type {string} */ text) {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${text}`);
  else process.stderr.write(`${text}\n`);
}
function progressDone() {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
}

/** Raw bcrypt compares per second at `cost`, as many in flight as cores (libuv runs them in parallel). */
async function bcryptBound(/** @type {number} */ cost, /** @type {number} */ seconds) {
  const hash = await bcrypt.hash('alicepass', cost);
  const threads = Math.min(os.cpus().length, Number(process.env.UV_THREADPOOL_SIZE ?? 4));
  await bcrypt.compare('alicepass', hash);
  const ends = Date.now() + seconds * 1000;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: threads }, async () => {
      while (Date.now() < ends) {
        await bcrypt.compare('alicepass', hash);
        done += 1;
      }
    }),
  );
  const perSecond = done / ((performance.now() - started) / 1000);
  return { cost, threads, comparesPerSecond: Math.round(perSecond * 10) / 10 };
}

/** @type {Array<() => Promise<void>>} */
const cleanups = [];
async function cleanUp() {
  while (cleanups.length)
    await cleanups
      .pop()?.()
      .catch(() => undefined);
}

/**
 * Starts the node(s) of a target: for PostgreSQL a fresh database, for PGlite a temporary directory.
 * @param {Target} target @param {ReturnType<typeof options>} opts @param {string} tmp
 * @param {Record<string, string>} [extra]
 */
async function startTarget(target, opts, tmp, extra = {}) {
  const env = { ...opts.env, ...extra };
  const nodeArgs = opts.cpuProf
    ? ['--cpu-prof', `--cpu-prof-dir=${path.join(__dirname, 'results', 'profiles')}`]
    : [];
  if (target.kind === 'bare') {
    const node = await servers.startBare({
      port: await servers.freePort(),
      cwd: tmp,
      bcryptCost: opts.bcryptCost,
      nodeArgs,
    });
    cleanups.push(() => node.stop());
    return { nodes: [node], dbUrl: null, dbName: null };
  }
  /** @type {Record<string, string>} */
  let database;
  let dbUrl = null;
  let dbName = null;
  if (target.database === 'postgres') {
    const db = await servers.createPgDatabase(opts.adminUrl);
    cleanups.push(db.drop);
    database = { DATABASE_URL: db.url };
    dbUrl = db.url;
    dbName = db.name;
  } else {
    const dir = fs.mkdtempSync(path.join(tmp, 'pglite-'));
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    database = { DATA_DIR: dir };
  }
  const nodes = [];
  // One after the other: the first seeds the demo data and creates the keys.
  for (let i = 0; i < target.processes; i += 1) {
    const node = await servers.startGatehouse({
      port: await servers.freePort(),
      database,
      cwd: tmp,
      bcryptCost: opts.bcryptCost,
      nodeArgs,
      env,
    });
    cleanups.push(() => node.stop());
    nodes.push(node);
  }
  return { nodes, dbUrl, dbName };
}

/**
 * One scenario at one concurrency against the nodes of a target (connections split between them).
 * @param {string} scenario @param {string[]} bases @param {number} connections
 * @param {{ pool: string[]; token?: string }} state @param {ReturnType<typeof options>} opts
 * @param {string} label @param {number} bound bcrypt compares per second
 * @param {{ serverPids: number[]; databaseUrl: string | null; databaseName: string | null }} measured
 *   whose CPU the window counts
 */
async function runScenario(scenario, bases, connections, state, opts, label, bound, measured) {
  const base = /** @type {string} */ (bases[0]);
  if (scenario === 'refresh_token') await fillRefreshPool(base, state.pool, connections + 4);
  if ((scenario === 'introspection' || scenario === 'profile') && !state.token)
    state.token = (await passwordTokens(base, 'openid profile')).access_token;
  const token = () => /** @type {string} */ (state.token);
  // Scenarios bound by bcrypt: the warm-up fills every connection's pipeline (c requests at the
  // bound take c / bound seconds) and the window holds enough logins to count.
  const slow = scenario === 'password' || scenario === 'authorization_code';
  const warmup = slow ? Math.min(30, Math.max(opts.warmup, (1.5 * connections) / bound)) : opts.warmup;
  const duration = slow ? Math.max(opts.duration, 3) : opts.duration;
  const collector = new Collector(warmup, duration);
  const meter = cpuMeter(measured);
  /** @type {Promise<void> | undefined} */
  let opened;
  /** @type {Promise<Omit<import('./lib/cpu').CpuFigures, 'perRequestMs'>> | undefined} */
  let closed;
  const opening = setTimeout(() => (opened = meter.begin()), collector.startsAt - Date.now());
  const closing = setTimeout(
    () => (closed = (opened ?? Promise.resolve()).then(() => meter.end())),
    collector.endsAt - Date.now(),
  );
  const loadBefore = os.loadavg()[0] ?? 0;
  let shown = '';
  const ticker = setInterval(() => {
    const phase = Date.now() < collector.startsAt ? 'warming up' : 'measuring';
    // On a terminal the line counts responses; in a log, one line per phase.
    if (!process.stderr.isTTY && phase === shown) return;
    shown = phase;
    progress(`${label}  ${scenario}  c=${connections}  ${phase}  ${collector.latencies.length} responses`);
  }, 500);
  try {
    const seconds = warmup + duration;
    if (scenario === 'authorization_code') await logins({ bases, connections, collector });
    else {
      const request = {
        client_credentials: () => requests.clientCredentials(),
        client_credentials_jwt: () => requests.clientCredentialsJwt(),
        password: () => requests.password(),
        refresh_token: () => requests.refresh(state.pool),
        introspection: () => requests.introspection(token),
        profile: () => requests.profile(token),
      }[scenario];
      if (!request) throw new Error(`no request for ${scenario}`);
      await cannon({ bases, connections, collector, seconds, requests: [request()] });
    }
  } finally {
    clearInterval(ticker);
    clearTimeout(opening);
    clearTimeout(closing);
  }
  const figures = collector.figures();
  const cpu = closed ? perRequest(await closed, figures.requests) : null;
  const round = (/** @type {number} */ v) => Math.round(v * 100) / 100;
  return { ...figures, cpu, loadAverage: { before: round(loadBefore), after: round(os.loadavg()[0] ?? 0) } };
}

/**
 * Mixed traffic (client_credentials, introspection, /api/profile) on a fresh single node with
 * 10-second access tokens, RSS read after the warm-up and at the end; then the token table is
 * counted, purged with the server's own purge, and counted again.
 * @param {Target} target @param {ReturnType<typeof options>} opts @param {string} tmp
 */
async function soakAndPurge(target, opts, tmp) {
  const { nodes, dbUrl } = await startTarget(target, opts, tmp, { ACCESS_TOKEN_TTL: '10' });
  const node = /** @type {import('./lib/servers').ServerProcess} */ (nodes[0]);
  const state = { token: (await passwordTokens(node.url, 'openid profile')).access_token };
  const refresher = setInterval(() => {
    passwordTokens(node.url, 'openid profile').then(
      (t) => (state.token = t.access_token),
      () => undefined,
    );
  }, 4000);
  const collector = new Collector(opts.soakWarmup, opts.soak);
  /** @type {{ afterWarmup: number | null; halfway: number | null; end: number | null; max: number }} */
  const rss = { afterWarmup: null, halfway: null, end: null, max: 0 };
  const warm = setTimeout(() => (rss.afterWarmup = node.rss()), opts.soakWarmup * 1000);
  const half = setTimeout(() => (rss.halfway = node.rss()), (opts.soakWarmup + opts.soak / 2) * 1000);
  const ticker = setInterval(() => {
    const now = node.rss() ?? 0;
    rss.max = Math.max(rss.max, now);
    const left = Math.max(0, Math.round((collector.endsAt - Date.now()) / 1000));
    if (!process.stderr.isTTY && left % 30 !== 0) return;
    progress(
      `soak (${target.label})  ${left}s left  ${collector.latencies.length} responses  RSS ${Math.round(now / 2 ** 20)} MiB`,
    );
  }, 1000);
  const token = () => state.token;
  try {
    await cannon({
      bases: [node.url],
      connections: 16,
      collector,
      seconds: opts.soakWarmup + opts.soak,
      requests: [requests.clientCredentials(), requests.introspection(token), requests.profile(token)],
    });
  } finally {
    clearInterval(refresher);
    clearInterval(ticker);
    clearTimeout(warm);
    clearTimeout(half);
  }
  rss.end = node.rss();
  const growth = rss.afterWarmup && rss.end ? (rss.end - rss.afterWarmup) / rss.afterWarmup : null;
  const secondHalfGrowth = rss.halfway && rss.end ? (rss.end - rss.halfway) / rss.halfway : null;
  const soak = {
    target: target.name,
    connections: 16,
    ...collector.figures(),
    rssBytes: rss,
    growth,
    secondHalfGrowth,
  };

  let purge = null;
  if (dbUrl) {
    progress('purge: counting and purging the token table');
    // Expired means expired when the purge started: rows that expire while it runs are the next one's.
    const cutoff = new Date();
    const count = async () =>
      servers.pgQuery(
        dbUrl,
        `select model, count(*)::int as total, (count(*) filter (where expires_at < $1))::int as expired
           from oidc_payloads group by model order by model`,
        [cutoff],
      );
    const before = await count();
    const { createDatabase } = require(path.join(servers.ROOT, 'dist', 'db', 'database.js'));
    const { purgeOnce } = require(path.join(servers.ROOT, 'dist', 'jobs', 'purge.js'));
    const db = createDatabase({ kind: 'postgres', url: dbUrl, poolMax: 2 });
    const started = performance.now();
    let deleted;
    try {
      deleted = await purgeOnce(db);
    } finally {
      await db.destroy();
    }
    const ms = Math.round(performance.now() - started);
    const after = await count();
    const sum = (/** @type {any[]} */ rows, /** @type {string} */ key) =>
      rows.reduce((a, r) => a + Number(r[key]), 0);
    purge = {
      before,
      after,
      deleted,
      ms,
      totalBefore: sum(before, 'total'),
      expiredBefore: sum(before, 'expired'),
      totalAfter: sum(after, 'total'),
      expiredAfter: sum(after, 'expired'),
    };
  }
  await cleanUp();
  return { soak, purge };
}

async function machine(/** @type {string | null} */ pgVersion) {
  let commit = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: servers.ROOT,
      encoding: 'utf8',
    }).trim();
  } catch {
    // not a git checkout
  }
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? null,
    memoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    postgres: pgVersion,
    loadAverageAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
    commit,
  };
}

async function main() {
  const opts = options();
  if (!fs.existsSync(path.join(servers.ROOT, 'dist', 'main.js')))
    throw new Error('dist/main.js is missing: run `npm run build` first (npm run bench does)');
  const started = new Date();
  const pgVersion = await servers.pgVersion(opts.adminUrl);
  /** @type {string[]} */
  const skipped = [];
  if (!pgVersion) {
    for (const t of opts.targets.filter((t) => TARGETS[t]?.database === 'postgres')) skipped.push(t);
    opts.targets = opts.targets.filter((t) => !skipped.includes(t));
    if (skipped.length)
      console.error(`PostgreSQL at ${opts.adminUrl} does not answer: skipping ${skipped.join(', ')}`);
  }
  const info = await machine(pgVersion);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));
  process.once('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
  process.once('SIGINT', () => {
    progressDone();
    console.error('interrupted: cleaning up');
    cleanUp().finally(() => process.exit(130));
  });

  progress(`bcrypt bound at cost ${opts.bcryptCost}`);
  const bound = await bcryptBound(opts.bcryptCost, opts.bcryptSeconds);

  /** @type {import('./lib/report').Result[]} */
  const results = [];
  for (const name of opts.targets) {
    const target = /** @type {Target} */ (TARGETS[name]);
    progress(`${target.label}: starting`);
    const { nodes, dbUrl, dbName } = await startTarget(target, opts, tmp);
    const bases = (target.loadOnFollowers ? nodes.slice(1) : nodes).map((n) => n.url);
    const measured = { serverPids: nodes.map((n) => n.pid), databaseUrl: dbUrl, databaseName: dbName };
    const state = { pool: /** @type {string[]} */ ([]) };
    try {
      for (const scenario of opts.scenarios) {
        if (target.kind === 'bare' && !BARE_SCENARIOS.has(scenario)) continue;
        for (const connections of opts.connections) {
          const figures = await runScenario(
            scenario,
            bases,
            connections,
            state,
            opts,
            target.label,
            bound.comparesPerSecond,
            measured,
          );
          results.push({
            target: target.name,
            label: target.label,
            database: target.database,
            processes: target.processes,
            scenario,
            connections,
            ...figures,
          });
        }
      }
    } catch (err) {
      throw new Error(
        `${target.label}: ${err instanceof Error ? err.message : String(err)}\n${nodes.map((n) => n.logTail()).join('\n')}`,
      );
    }
    await cleanUp();
  }

  const soakTarget =
    TARGETS[opts.targets.includes('pg') ? 'pg' : opts.targets.includes('pglite') ? 'pglite' : ''];
  let soak = null;
  let purge = null;
  if (soakTarget && opts.soak > 0) ({ soak, purge } = await soakAndPurge(soakTarget, opts, tmp));
  await cleanUp();
  progressDone();

  const checks = checkTargets(results, {
    bcryptPerSecond: bound.comparesPerSecond,
    soak,
    purge,
    target: opts.targets.includes('pg') ? 'pg' : 'pglite',
  });
  const report = {
    version: 1,
    mode: opts.mode,
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { ...info, loadAverageAtEnd: os.loadavg().map((v) => Math.round(v * 100) / 100) },
    settings: {
      warmupSeconds: opts.warmup,
      durationSeconds: opts.duration,
      connections: opts.connections,
      targets: opts.targets,
      skipped,
      scenarios: opts.scenarios,
      bcryptCost: opts.bcryptCost,
    },
    bcrypt: bound,
    results,
    soak,
    purge,
    targets: checks,
  };
  const out =
    opts.out ?? path.join(__dirname, 'results', `bench-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);

  console.log(
    `\nGatehouse benchmark (${opts.mode}): ${info.cores} cores, Node ${info.node}, PostgreSQL ${info.postgres ?? '-'}, load ${info.loadAverageAtStart.join(' ')} -> ${report.machine.loadAverageAtEnd.join(' ')}`,
  );
  console.log(
    `warm-up ${opts.warmup} s, ${opts.duration} s measured per row; bcrypt cost ${bound.cost}: ${bound.comparesPerSecond} compares/s on ${bound.threads} threads\n`,
  );
  console.log(resultsTable(results, bound.comparesPerSecond));
  if (soak) {
    const mib = (/** @type {number | null} */ b) => (b === null ? '-' : `${(b / 2 ** 20).toFixed(1)} MiB`);
    console.log(
      `\nsoak: ${soak.seconds} s mixed traffic at c=16 on ${soakTarget?.label}: ${soak.rps} req/s, non-2xx ${soak.non2xx + soak.errors}; RSS after warm-up ${mib(soak.rssBytes.afterWarmup)}, after soak ${mib(soak.rssBytes.end)} (${soak.growth === null ? '-' : `${(soak.growth * 100).toFixed(1)}%`}), max ${mib(soak.rssBytes.max)}; second half ${soak.secondHalfGrowth === null ? '-' : `${(soak.secondHalfGrowth * 100).toFixed(1)}%`}`,
    );
  }
  if (purge)
    console.log(
      `purge: oidc_payloads ${purge.totalBefore} rows (${purge.expiredBefore} expired) -> ${purge.totalAfter} rows (${purge.expiredAfter} expired) in ${purge.ms} ms`,
    );
  console.log(
    `\n${checksTable(checks, TARGETS[opts.targets.includes('pg') ? 'pg' : 'pglite']?.label ?? '')}\n\nresults: ${path.relative(process.cwd(), out)}`,
  );
}

main().catch(async (err) => {
  progressDone();
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  await cleanUp();
  process.exit(1);
});
