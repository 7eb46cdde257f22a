// @ts-check
/**
 * The load: autocannon for the single-request scenarios and a small cookie-jar driver for the full
 * authorization-code login. Both record into one Collector that ignores the warm-up, so one run of
 * a scenario is one load-generator instance (tokens that a rotating scenario holds survive the
 * warm-up), and several servers can share one collector (connections split between processes).
 */
const http = require('node:http');
const { randomBytes } = require('node:crypto');
const autocannon = require('autocannon');

/**
 * @typedef {object} Figures
 * @property {number} requests   responses counted after the warm-up
 * @property {number} seconds    length of the measured window
 * @property {number} rps
 * @property {{ p50: number; p99: number; mean: number; max: number }} latencyMs
 * @property {number} non2xx
 * @property {number} errors     connection errors and timeouts
 * @property {Record<string, number>} statuses
 */

class Collector {
  /** @param {number} warmupSeconds @param {number} durationSeconds */
  constructor(warmupSeconds, durationSeconds) {
    this.startsAt = Date.now() + warmupSeconds * 1000;
    this.endsAt = this.startsAt + durationSeconds * 1000;
    /** @type {number[]} */
    this.latencies = [];
    this.non2xx = 0;
    this.errors = 0;
    /** @type {Record<string, number>} */
    this.statuses = {};
  }

  measuring(now = Date.now()) {
    return now >= this.startsAt && now <= this.endsAt;
  }

  /** @param {number} status @param {number} ms */
  response(status, ms) {
    if (!this.measuring()) return;
    this.latencies.push(ms);
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    if (status < 200 || status > 299) this.non2xx += 1;
  }

  error() {
    if (this.measuring()) this.errors += 1;
  }

  /** @returns {Figures} */
  figures() {
    const seconds = Math.max(0.001, (Math.min(Date.now(), this.endsAt) - this.startsAt) / 1000);
    const sorted = Float64Array.from(this.latencies).sort();
    const at = (/** @type {number} */ q) =>
      sorted.length ? (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0) : 0;
    const sum = sorted.reduce((a, b) => a + b, 0);
    const round = (/** @type {number} */ v) => Math.round(v * 100) / 100;
    return {
      requests: sorted.length,
      seconds: round(seconds),
      rps: round(sorted.length / seconds),
      latencyMs: {
        p50: round(at(0.5)),
        p99: round(at(0.99)),
        mean: round(sorted.length ? sum / sorted.length : 0),
        max: round(sorted.length ? (sorted[sorted.length - 1] ?? 0) : 0),
      },
      non2xx: this.non2xx,
      errors: this.errors,
      statuses: this.statuses,
    };
  }
}

/**
 * @typedef {object} CannonRequest
 * @property {string} [method]
 * @property {string} [path]
 * @property {Record<string, string>} [headers]
 * @property {string} [body]
 * @property {(req: CannonRequest) => CannonRequest} [setupRequest]
 * @property {(status: number, body: string) => void} [onResponse]
 */

/**
 * Runs autocannon against every base URL at once, the connections split between them.
 * @param {{ bases: string[]; connections: number; collector: Collector; requests: CannonRequest[];
 *   seconds: number }} options
 * @returns {Promise<void>}
 */
async function cannon(options) {
  const { bases, connections, collector } = options;
  await Promise.all(
    bases.map((base, i) => {
      const share = Math.floor(connections / bases.length) + (i < connections % bases.length ? 1 : 0);
      return new Promise((resolve, reject) => {
        const instance = autocannon(
          {
            url: base,
            connections: share,
            duration: options.seconds,
            timeout: 30,
            requests: options.requests,
          },
          (/** @type {Error | null} */ err) => (err ? reject(err) : resolve(undefined)),
        );
        instance.on(
          'response',
          (
            /** @type {unknown} */ _client,
            /** @type {number} */ status,
            /** @type {number} */ _bytes,
            /** @type {number} */ ms,
          ) => collector.response(status, ms),
        );
        instance.on('reqError', () => collector.error());
      });
    }),
  );
}

/**
 * @typedef {object} HttpResponse
 * @property {number} status
 * @property {http.IncomingHttpHeaders} headers
 * @property {string} body
 */

/**
 * One HTTP request with a keep-alive agent, body read as text.
 * @param {http.Agent} agent @param {string} url
 * @param {{ method?: string; headers?: Record<string, string>; body?: string }} [init]
 * @returns {Promise<HttpResponse>}
 */
function request(agent, url, init = {}) {
  return new Promise((resolve, reject) => {
    const headers = { ...init.headers };
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
    const req = http.request(
      url,
      { agent, method: init.method ?? 'GET', headers, timeout: 30_000 },
      (res) => {
        /** @type {Buffer[]} */
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(init.body);
  });
}

const FORM = 'application/x-www-form-urlencoded';

/** @param {string} id @param {string} secret */
function basic(id, secret) {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

const CLIENTS = {
  service: { id: 'demo-service', secret: 'demo-service-secret' },
  cli: { id: 'demo-cli', secret: 'demo-cli-secret' },
  web: { id: 'demo-web', secret: 'demo-web-secret', redirectUri: 'http://localhost:8080/callback' },
};
const USER = { username: 'alice', password: 'alicepass' };
/** The demo seed's API (seeds/ RESOURCE_SERVERS): JWT access tokens, ten minutes. */
const DEMO_API = { identifier: 'https://api.example.com', scopes: ['read', 'write'], ttlSeconds: 600 };

const prepAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/**
 * A token response from the password grant (the way the benchmark prepares its tokens).
 * @param {string} base @param {string} scope
 * @returns {Promise<{ access_token: string; refresh_token?: string }>}
 */
async function passwordTokens(base, scope) {
  const res = await request(prepAgent, `${base}/token`, {
    method: 'POST',
    headers: { authorization: basic(CLIENTS.cli.id, CLIENTS.cli.secret), 'content-type': FORM },
    body: new URLSearchParams({ grant_type: 'password', ...USER, scope }).toString(),
  });
  if (res.status !== 200) throw new Error(`password grant at ${base} answered ${res.status}: ${res.body}`);
  return JSON.parse(res.body);
}

/**
 * Tops up a pool of refresh tokens to `size` (8 password grants at a time).
 * @param {string} base @param {string[]} pool @param {number} size
 */
async function fillRefreshPool(base, pool, size) {
  while (pool.length < size) {
    const batch = Math.min(8, size - pool.length);
    const tokens = await Promise.all(
      Array.from({ length: batch }, () => passwordTokens(base, 'openid profile offline_access')),
    );
    for (const t of tokens) if (t.refresh_token) pool.push(t.refresh_token);
  }
}

/** Requests of the single-request scenarios. */
const requests = {
  clientCredentials: () => ({
    method: 'POST',
    path: '/token',
    headers: { authorization: basic(CLIENTS.service.id, CLIENTS.service.secret), 'content-type': FORM },
    body: 'grant_type=client_credentials',
  }),
  /**
   * Client credentials for the demo API (RFC 8707 `resource`), whose tokens are RFC 9068 JWTs:
   * signed, not stored.
   */
  clientCredentialsJwt: () => ({
    method: 'POST',
    path: '/token',
    headers: { authorization: basic(CLIENTS.service.id, CLIENTS.service.secret), 'content-type': FORM },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      resource: DEMO_API.identifier,
      scope: 'read',
    }).toString(),
  }),
  password: () => ({
    method: 'POST',
    path: '/token',
    headers: { authorization: basic(CLIENTS.cli.id, CLIENTS.cli.secret), 'content-type': FORM },
    body: new URLSearchParams({ grant_type: 'password', ...USER, scope: 'openid profile' }).toString(),
  }),
  /** @param {() => string} token */
  introspection: (token) => ({
    method: 'POST',
    path: '/token/introspection',
    headers: { authorization: basic(CLIENTS.service.id, CLIENTS.service.secret), 'content-type': FORM },
    setupRequest: (/** @type {CannonRequest} */ req) => ({ ...req, body: `token=${token()}` }),
  }),
  /** @param {() => string} token */
  profile: (token) => ({
    method: 'GET',
    path: '/api/profile',
    setupRequest: (/** @type {CannonRequest} */ req) => ({
      ...req,
      headers: { authorization: `Bearer ${token()}` },
    }),
  }),
  /**
   * Each connection takes a refresh token from the pool and puts back the one that replaced it.
   * @param {string[]} pool
   */
  refresh: (pool) => ({
    method: 'POST',
    path: '/token',
    headers: { authorization: basic(CLIENTS.cli.id, CLIENTS.cli.secret), 'content-type': FORM },
    setupRequest: (/** @type {CannonRequest} */ req) => ({
      ...req,
      body: `grant_type=refresh_token&refresh_token=${pool.pop() ?? 'pool-exhausted'}`,
    }),
    onResponse: (/** @type {number} */ status, /** @type {string} */ body) => {
      if (status === 200) pool.push(JSON.parse(body).refresh_token);
    },
  }),
};

/** The cookies of one browser: name -> value (every flow starts with an empty jar). */
class Jar {
  constructor() {
    /** @type {Map<string, string>} */
    this.cookies = new Map();
  }

  /** @param {http.IncomingHttpHeaders} headers */
  store(headers) {
    for (const line of headers['set-cookie'] ?? []) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=/i.test(a) && new Date(a.trim().slice(8)) < new Date());
      if (!value || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header() {
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }
}

/**
 * One full browser login: /auth -> login page -> login form -> consent page -> consent form -> code
 * at the callback -> code exchanged at /token. Returns the status that ended it (200 when tokens came).
 * @param {http.Agent} agent @param {string} base
 * @returns {Promise<number>}
 */
async function loginFlow(agent, base) {
  const jar = new Jar();
  const state = randomBytes(12).toString('base64url');
  let url = `${base}/auth?${new URLSearchParams({
    client_id: CLIENTS.web.id,
    response_type: 'code',
    scope: 'openid profile',
    redirect_uri: CLIENTS.web.redirectUri,
    state,
    nonce: randomBytes(12).toString('base64url'),
  })}`;
  /** @type {{ method?: string; headers?: Record<string, string>; body?: string }} */
  let init = {};
  for (let hop = 0; hop < 16; hop += 1) {
    const res = await request(agent, url, {
      ...init,
      headers: { accept: 'text/html', cookie: jar.header(), ...init.headers },
    });
    jar.store(res.headers);
    init = {};
    if (res.status >= 300 && res.status < 400 && res.headers.location) {
      const next = new URL(res.headers.location, url);
      if (next.href.startsWith(CLIENTS.web.redirectUri)) {
        const code = next.searchParams.get('code');
        if (!code || next.searchParams.get('state') !== state) return 400;
        const token = await request(agent, `${base}/token`, {
          method: 'POST',
          headers: { authorization: basic(CLIENTS.web.id, CLIENTS.web.secret), 'content-type': FORM },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code,
            redirect_uri: CLIENTS.web.redirectUri,
          }).toString(),
        });
        return token.status;
      }
      // The provider may build absolute URLs from its issuer: stay on the node this flow started on.
      url = `${base}${next.pathname}${next.search}`;
      continue;
    }
    if (res.status !== 200) return res.status;
    const action = /<form[^>]*action="([^"]*\/(?:login|confirm))"/.exec(res.body)?.[1];
    if (!action) return 500;
    url = `${base}${action.replace(/&amp;/g, '&')}`;
    const fields = action.endsWith('/login') ? USER : { decision: 'allow' };
    init = {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: new URLSearchParams(fields).toString(),
    };
  }
  return 508;
}

/**
 * `connections` browsers logging in again and again until the collector's window ends.
 * @param {{ bases: string[]; connections: number; collector: Collector }} options
 */
async function logins(options) {
  const agents = options.bases.map(
    () => new http.Agent({ keepAlive: true, maxSockets: options.connections }),
  );
  await Promise.all(
    Array.from({ length: options.connections }, async (_, i) => {
      const base = /** @type {string} */ (options.bases[i % options.bases.length]);
      const agent = /** @type {http.Agent} */ (agents[i % agents.length]);
      while (Date.now() < options.collector.endsAt) {
        const started = performance.now();
        try {
          const status = await loginFlow(agent, base);
          options.collector.response(status, performance.now() - started);
        } catch {
          options.collector.error();
        }
      }
    }),
  );
  for (const agent of agents) agent.destroy();
}

module.exports = {
  DEMO_API,
  Collector,
  cannon,
  logins,
  request,
  requests,
  passwordTokens,
  fillRefreshPool,
  basic,
  CLIENTS,
};
