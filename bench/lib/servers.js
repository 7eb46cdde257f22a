// @ts-check
/**
 * The servers under test, each a child process on 127.0.0.1 (so its memory and CPU profile are its
 * own, apart from the load generator's): Gatehouse from dist/main.js, the bare oidc-provider from
 * bench/bare-provider.js, and the PostgreSQL databases the benchmark creates and drops.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { Client } = require('pg');

const ROOT = path.resolve(__dirname, '..', '..');

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process in bytes (Linux /proc), or null where unavailable. */
function rssOf(/** @type {number} */ pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * @typedef {object} ServerProcess
 * @property {string} url
 * @property {number} pid
 * @property {() => number | null} rss
 * @property {() => string} logTail
 * @property {() => Promise<void>} stop
 */

/**
 * Starts a Node script and resolves once it prints `listening on <url>`.
 * @param {{ name: string; script: string; env: NodeJS.ProcessEnv; cwd: string; nodeArgs?: string[];
 *   timeoutMs?: number }} options
 * @returns {Promise<ServerProcess>}
 */
function startNode(options) {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  /** @type {string[]} */
  const log = [];
  const remember = (/** @type {Buffer} */ chunk) => {
    log.push(chunk.toString('utf8'));
    if (log.length > 50) log.shift();
  };
  let exited = false;
  /** @type {Promise<void>} */
  const exit = new Promise((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const logTail = () => log.join('').split('\n').slice(-20).join('\n');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.name} did not start in time:\n${logTail()}`));
    }, options.timeoutMs ?? 60_000);
    const early = (/** @type {number | null} */ code) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited with ${code} before it listened:\n${logTail()}`));
    };
    child.once('exit', early);
    child.stderr.on('data', remember);
    child.stdout.on('data', (/** @type {Buffer} */ chunk) => {
      remember(chunk);
      const match = /listening on (http:\/\/[^\s]+)/.exec(log.join(''));
      if (!match || !match[1]) return;
      clearTimeout(timer);
      child.removeListener('exit', early);
      resolve({
        url: match[1],
        pid: /** @type {number} */ (child.pid),
        rss: () => rssOf(/** @type {number} */ (child.pid)),
        logTail,
        async stop() {
          if (exited) return;
          child.kill('SIGTERM');
          const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exit;
          clearTimeout(force);
        },
      });
    });
  });
}

/**
 * A Gatehouse node from dist/main.js with the demo data seeded on an empty database.
 * @param {{ port: number; database: Record<string, string>; cwd: string; bcryptCost: number;
 *   env?: Record<string, string>; nodeArgs?: string[] }} options
 */
function startGatehouse(options) {
  return startNode({
    name: 'gatehouse',
    script: path.join(ROOT, 'dist', 'main.js'),
    cwd: options.cwd,
    nodeArgs: options.nodeArgs,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(options.port),
      ISSUER: `http://127.0.0.1:${options.port}`,
      BCRYPT_COST: String(options.bcryptCost),
      SEED_DEMO: 'true',
      OTP_DELIVERY: 'disabled',
      LOG_LEVEL: 'warn',
      // The benchmark runs its own purge and measures it; no timer deletes rows meanwhile.
      PURGE_INTERVAL: '0',
      // All load comes from one address: the per-source limits would turn the measurement into 429s.
      // The failed-client-authentication limit stays on at its default (no request here fails), so
      // its cost on every token and introspection request is measured.
      RATE_LIMIT_LOGIN: 'off',
      RATE_LIMIT_TOKEN: 'off',
      RATE_LIMIT_OTP_REQUEST: 'off',
      RATE_LIMIT_OTP_REQUEST_NAME: 'off',
      ...options.database,
      ...options.env,
    },
  });
}

/** @param {{ port: number; cwd: string; bcryptCost: number; nodeArgs?: string[] }} options */
function startBare(options) {
  return startNode({
    name: 'bare oidc-provider',
    script: path.join(__dirname, '..', 'bare-provider.js'),
    cwd: options.cwd,
    nodeArgs: options.nodeArgs,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      PORT: String(options.port),
      BCRYPT_COST: String(options.bcryptCost),
    },
  });
}

/** @param {string} url @param {string} sql @param {unknown[]} [params] */
async function pgQuery(url, sql, params = []) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/**
 * A fresh database on the PostgreSQL server of `adminUrl`, and how to drop it.
 * @param {string} adminUrl
 */
async function createPgDatabase(adminUrl) {
  const name = `gatehouse_bench_${process.pid}_${Date.now().toString(36)}`;
  await pgQuery(adminUrl, `create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => pgQuery(adminUrl, `drop database if exists ${name} with (force)`).then(() => undefined),
  };
}

/** @param {string} adminUrl @returns {Promise<string | null>} */
async function pgVersion(adminUrl) {
  try {
    const rows = await pgQuery(adminUrl, 'show server_version');
    return String(rows[0]?.server_version ?? '') || null;
  } catch {
    return null;
  }
}

module.exports = { ROOT, freePort, rssOf, startGatehouse, startBare, createPgDatabase, pgQuery, pgVersion };
