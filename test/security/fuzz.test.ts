/**
 * A property-based fuzz test of every input boundary: hostile values (test/security/fuzz-values.ts) in
 * every parameter of every endpoint family, against a real node with the demo data. Every answer
 * must be below 500, carry no stack trace, SQL text or password hash, and a refused (4xx) request
 * must leave the accounts, roles, clients, service keys and tokens as they were.
 *
 * Each family runs the first values of every class in every parameter (fast-check `examples`), then
 * FUZZ_RUNS random cases (default 30) from a fixed FUZZ_SEED. It stops at the first failure and
 * names family, request, parameter, value and answer. FUZZ_REPORT=1 runs everything instead and
 * prints the distinct failures grouped (also written to test-output/fuzz-report.json).
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { loadConfig } from '../../src/config';
import type { oidc } from '../support/rp';
import { startTestServer, type TestServer } from '../support/server';
import { Browser, expectCallback, expectPage } from '../support/browser';
import { OTP_GRANT } from '../../src/oidc/grants/names';
import { ADMIN, ALICE, DEMO_CLI, DEMO_SERVICE, DEMO_SERVICE_KEY, DEMO_WEB } from '../support/fixtures';
import { basic } from '../support/http';
import { demoWeb, newBrowser, redeem, signInAndAllow, start } from '../interactions/support/flow';
import {
  Fuzzer,
  createSender,
  formatFailure,
  groupedReport,
  statusTable,
  tapLogs,
  writeReport,
  type Answer,
  type Family,
  type Input,
  type Sender,
  type Wire,
} from './fuzz-harness';
import {
  ABSENT,
  BASELINE,
  CLASSES,
  EXAMPLES_PER_CLASS,
  charactersOf,
  formEncode,
  formField,
  headerValue,
  hostileValue,
  jsonMember,
  jsonValue,
  pathSegment,
  raw,
  text,
  type Hostile,
} from './fuzz-values';

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const RUNS = Number(process.env.FUZZ_RUNS ?? 30);
const COLLECT = process.env.FUZZ_REPORT === '1';
const FAMILY_TIMEOUT_MS = 240_000;

const CALLBACK = DEMO_WEB.redirectUri;
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const FUZZ_USER_ID = '6f1f4b5e-7d51-4d8a-9a0e-1d0c6a1ffa22';
const FUZZ_CLIENT = 'fuzz-client';

// ---- the node ---------------------------------------------------------------------------------------

/**
 * Every RATE_LIMIT_* variable (.env.example lists them all) off, or 0 where off is not accepted,
 * so a limit never turns the later cases into 429s that test nothing.
 */
function rateLimitsOff(): Record<string, string> {
  const example = fs.readFileSync(path.resolve(__dirname, '../../.env.example'), 'utf8');
  const names = [...new Set([...example.matchAll(/^#?\s*(RATE_LIMIT_[A-Z0-9_]+)=/gm)].map((m) => m[1]!))];
  const env: Record<string, string> = {};
  for (const name of names) {
    const accepted = ['off', '0', 'false'].find((value) => {
      try {
        loadConfig({ NODE_ENV: 'test', DATA_DIR: ':memory:', [name]: value });
        return true;
      } catch {
        return false;
      }
    });
    if (accepted) env[name] = accepted;
  }
  return env;
}

const NODE_ENV_EXTRA = {
  // Error lines of the node are what the report quotes for a 5xx.
  LOG_LEVEL: 'error',
  // Hundreds of wrong passwords for alice and admin must not lock them (lockouts would make the
  // later cases answer 429 without reaching the code under test).
  LOCKOUT_MAX_ATTEMPTS: '1000',
  // Likewise for one-time codes: every request reaches the store, every code allows many tries.
  OTP_RESEND_INTERVAL: '0',
  OTP_MAX_ATTEMPTS: '100',
  // An allowed origin, so that CORS requests reach the allow-list comparison.
  API_CORS_ORIGINS: 'http://localhost:5173',
  ...rateLimitsOff(),
};

let node: TestServer;
let sender: Sender;
let fuzzer: Fuzzer;
const tokens = { admin: '', cc: '', refresh: '', webIdToken: '' };
/** Numbers the users and roles the cases create, so their names never collide. */
let created = 0;

const DEMO_CLI_AUTH = basic(DEMO_CLI.id, DEMO_CLI.secret);
const DEMO_SERVICE_AUTH = basic(DEMO_SERVICE.id, DEMO_SERVICE.secret);
const DEMO_WEB_AUTH = basic(DEMO_WEB.id, DEMO_WEB.secret);
const bearer = () => `Bearer ${tokens.admin}`;

async function tokenRequest(auth: string, form: Record<string, string>): Promise<Record<string, string>> {
  const answer = await sender.send({
    method: 'POST',
    path: '/token',
    headers: { authorization: auth, 'content-type': FORM },
    body: new URLSearchParams(form).toString(),
  });
  if (answer.status !== 200) throw new Error(`token request failed: ${answer.status} ${answer.body}`);
  return JSON.parse(answer.body) as Record<string, string>;
}

const web = {} as { rp: oidc.Configuration; browser: Browser };

/** A new authorization code for demo-web (alice's session and consent answer at once). */
async function freshCode(): Promise<{ code: string; verifier: string }> {
  const started = await start(web.browser, web.rp, CALLBACK);
  return { code: expectCallback(started.outcome).searchParams.get('code')!, verifier: started.verifier };
}

/** A new one-time code for alice, so hostile values beside it reach past the code check. */
async function freshOtp(): Promise<string> {
  const result = await node.services.otps.request('alice');
  return result.status === 'accepted' && result.issued ? result.issued.code : '000000';
}

/** An interaction at its login step, with the cookies of the browser that started it. */
interface LoginTarget {
  uid: string;
  cookies: { name: string; value: string; path: string }[];
}
let loginTarget: LoginTarget | undefined;

async function startLogin(): Promise<LoginTarget> {
  const rp = await demoWeb(node.issuer);
  const browser: Browser = newBrowser();
  const started = await start(browser, rp, CALLBACK);
  const page = expectPage(started.outcome);
  const uid = /\/interaction\/([^/?#]+)/.exec(page.url)?.[1];
  if (!uid) throw new Error(`no interaction in ${page.url}`);
  return { uid, cookies: browser.cookies() };
}

function cookieHeader(target: LoginTarget, forPath: string): string {
  return target.cookies
    .filter((c) => forPath === c.path || forPath.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
    .map((c) => `${c.name}=${c.value}`)
    .join('; ');
}

/** The Cookie header a browser sends to a path of the node. */
const cookiesOf = (browser: Browser, forPath: string) =>
  cookieHeader({ uid: '', cookies: browser.cookies() }, forPath);

beforeAll(async () => {
  node = await startTestServer({ env: NODE_ENV_EXTRA });
  const logs = tapLogs(node.services.logger);
  const port = Number(new URL(node.issuer).port);
  sender = createSender(port);
  fuzzer = new Fuzzer(sender, new URL(node.issuer).origin, node.services.db, logs, COLLECT);

  // Targets for the administration routes that change what they name, so no case can disable the
  // admin account or delete a demo client that later families use.
  await node.services.accounts.create({
    id: FUZZ_USER_ID,
    username: 'fuzz-target',
    password: 'fuzz-target-password',
    roles: ['user'],
  });
  await node.services.clients.save({
    client_id: FUZZ_CLIENT,
    client_name: 'Fuzz target',
    client_secret: 'fuzz-client-secret',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  });

  tokens.admin = (
    await tokenRequest(DEMO_CLI_AUTH, {
      grant_type: 'password',
      username: ADMIN.username,
      password: ADMIN.password,
      scope: 'openid profile email admin profile:write roles',
    })
  ).access_token!;
  tokens.cc = (await tokenRequest(DEMO_SERVICE_AUTH, { grant_type: 'client_credentials' })).access_token!;
  tokens.refresh = (
    await tokenRequest(DEMO_CLI_AUTH, {
      grant_type: 'password',
      username: ALICE.username,
      password: ALICE.password,
      scope: 'openid offline_access profile',
    })
  ).refresh_token!;

  // A real sign-in of alice at demo-web: an ID token to hint at /session/end, and a browser whose
  // session and consent give a fresh authorization code for each case.
  web.rp = await demoWeb(node.issuer);
  web.browser = newBrowser();
  const started = await start(web.browser, web.rp, CALLBACK);
  const callback = await signInAndAllow(web.browser, started);
  tokens.webIdToken = (await redeem(web.rp, callback, started)).id_token!;

  loginTarget = await startLogin();
}, 120_000);

afterAll(async () => {
  if (COLLECT && fuzzer) {
    const report = groupedReport(fuzzer.failures);
    console.log(
      `fuzz report (${fuzzer.requests} requests)\nstatuses per family:\n${statusTable(fuzzer.statuses)}\n${report}`,
    );
    writeReport(fuzzer.failures, path.resolve(__dirname, '../../test-output/fuzz-report.json'));
  }
  sender?.close();
  await node?.stop();
});

// ---- encoding requests ------------------------------------------------------------------------------

type Base = Record<string, string | string[] | boolean | undefined>;
type Values = Record<string, Hostile>;

/** The hostile values of one carrier (`json:given_name` → `given_name`). */
function carried(values: Values, carrier: string): Values {
  const out: Values = {};
  for (const [param, value] of Object.entries(values)) {
    const [prefix, ...rest] = param.split(':');
    if (prefix === carrier) out[rest.join(':').split(' ')[0]!] = value;
  }
  return out;
}

function names(base: Base, hostile: Values): string[] {
  return [
    ...new Set([...Object.keys(base), ...Object.keys(hostile).map((n) => n.replace(/\[\]$/, ''))]),
  ].filter((n) => n !== '<key>');
}

const baselineOf = (base: Base, name: string) => {
  const value = base[name];
  return typeof value === 'string' ? value : 'x';
};

/** A form or query string: the base fields with the hostile ones in their place. */
function encodeForm(base: Base, hostile: Values): string {
  const segments: string[] = [];
  for (const name of names(base, hostile)) {
    const value = hostile[name] ?? hostile[`${name}[]`];
    const b = base[name];
    if (value) segments.push(formField(name, value, baselineOf(base, name)));
    else if (Array.isArray(b)) segments.push(...b.map((v) => formField(name, v)));
    else if (b !== undefined) segments.push(formField(name, String(b)));
  }
  // A hostile field name.
  const key = hostile['<key>'];
  if (key) segments.push(key.kind === 'raw' ? `${key.s}=x` : `${formEncode(charactersOf(key))}=x`);
  return segments.filter(Boolean).join('&');
}

/** A JSON object: the base members with the hostile ones in their place (`name[]`: inside a list). */
function encodeJson(base: Base, hostile: Values): string {
  const members: string[] = [];
  for (const name of names(base, hostile)) {
    const b = base[name];
    if (hostile[name]) members.push(jsonMember(name, hostile[name], baselineOf(base, name)));
    else if (hostile[`${name}[]`])
      members.push(`${JSON.stringify(name)}:[${jsonValue(hostile[`${name}[]`]!, baselineOf(base, name))}]`);
    else if (b !== undefined) members.push(`${JSON.stringify(name)}:${JSON.stringify(b)}`);
  }
  const key = hostile['<key>'];
  if (key) members.push(`${JSON.stringify(charactersOf(key))}:"x"`);
  return `{${members.filter(Boolean).join(',')}}`;
}

/** A POST of a form or a JSON body, whichever carrier the hostile parameters name. */
function bodyRequest(
  method: string,
  urlPath: string,
  base: Base,
  values: Values,
  headers: Record<string, string | string[] | undefined> = {},
): Wire {
  const json = carried(values, 'json');
  if (Object.keys(json).length)
    return {
      method,
      path: urlPath,
      headers: { 'content-type': JSON_TYPE, ...headers },
      body: encodeJson(base, json),
    };
  return {
    method,
    path: urlPath,
    headers: { 'content-type': FORM, ...headers },
    body: encodeForm(base, carried(values, 'form')),
  };
}

/** A header from a hostile value, or the base value when the parameter is not hostile. */
function header(values: Values, param: string, base: string | undefined, prefix = '', baseline = 'x') {
  const value = values[param];
  if (!value) return base;
  const wire = headerValue(value, baseline, prefix);
  return wire === null ? undefined : wire;
}

/** HTTP Basic with hostile id or secret, each form-encoded first (RFC 6749 §2.3.1), raw kept raw. */
function basicWith(values: Values, id: string, secret: string): string {
  const part = (param: string, fallback: string) => {
    const value = values[param];
    if (!value) return formEncode(fallback);
    return value.kind === 'raw' ? value.s : formEncode(charactersOf(value, fallback));
  };
  return `Basic ${Buffer.from(`${part('basic:client_id', id)}:${part('basic:client_secret', secret)}`).toString('base64')}`;
}

// ---- running a family -------------------------------------------------------------------------------

interface Spec extends Family {
  /** `carrier:name` (form, json, query, header, path, basic, body), optionally followed by a note. */
  params: string[];
  build(values: Values): Wire | Promise<Wire>;
  accepts?(param: string, value: Hostile): boolean;
  after?(answer: Answer, values: Values): void | Promise<void>;
  /** Values for this family instead of the general ones, and its extra examples. */
  values?: fc.Arbitrary<Hostile>;
  extraExamples?: Hostile[];
  /** One hostile parameter per case (for routes where two could combine into a destructive request). */
  single?: boolean;
  /** Random cases after the examples (default FUZZ_RUNS). */
  runs?: number;
}

const carrierOf = (param: string) => param.split(':')[0]!;

async function fuzz(spec: Spec): Promise<void> {
  const accepts = (param: string, value: Hostile) =>
    !(carrierOf(param) === 'header' && headerValue(value) === null) && (spec.accepts?.(param, value) ?? true);
  const values = spec.values ?? hostileValue;
  const input = (params: string[]) =>
    fc
      .constantFrom(...params)
      .chain((param) => values.filter((v) => accepts(param, v)).map((value): Input => ({ param, value })));
  const cases = input(spec.params).chain((first): fc.Arbitrary<Input[]> => {
    // A second hostile parameter of the same carrier now and then.
    const partners = spec.params.filter((p) => p !== first.param && carrierOf(p) === carrierOf(first.param));
    if (spec.single || !partners.length) return fc.constant<Input[]>([first]);
    return fc
      .oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: input(partners) })
      .map((second) => (second ? [first, second] : [first]));
  });
  // Deterministic part: the first few values of every class this parameter can carry, and the
  // family's own examples, in every parameter.
  const fixed = (Object.keys(CLASSES) as (keyof typeof CLASSES)[]).map(
    (cls) => (param: string) =>
      CLASSES[cls].filter((v) => accepts(param, v)).slice(0, EXAMPLES_PER_CLASS[cls]),
  );
  const examples: [Input[]][] = spec.params.flatMap((param) =>
    [
      ...fixed.flatMap((pick) => pick(param)),
      ...(spec.extraExamples ?? []).filter((v) => accepts(param, v)),
    ].map((value): [Input[]] => [[{ param, value }]]),
  );
  const before = fuzzer.failures.length;
  await fc.assert(
    fc.asyncProperty(cases, async (inputs) => {
      const byParam = Object.fromEntries(inputs.map((i) => [i.param, i.value]));
      const answer = await fuzzer.probe(spec, inputs, await spec.build(byParam));
      await spec.after?.(answer, byParam);
    }),
    // fast-check counts the examples among numRuns.
    { seed: SEED, numRuns: examples.length + (spec.runs ?? RUNS), endOnFailure: true, examples },
  );
  const mine = fuzzer.failures.slice(before);
  if (mine.length)
    throw new Error(`${mine.length} failing answers in ${spec.name}; the first:\n${formatFailure(mine[0]!)}`);
}

const family = (spec: Spec) => it(spec.name, () => fuzz(spec), FAMILY_TIMEOUT_MS);

// ---- families ---------------------------------------------------------------------------------------

/*
 * What a refused request may change, family by family; everything else must stay as it was.
 * - A failed sign-in (login form, password and one-time-code grants, their service-key routes)
 *   counts against the name in login_throttle: that is the lockout working (README).
 * - A wrong one-time code counts against the outstanding code in otp_codes (OTP_MAX_ATTEMPTS).
 * The authorization endpoint needs no exception: it stores its Interaction only when it redirects
 * to the login page (a 303, not a refusal), and each hop of a followed redirect is checked alone.
 */
const THROTTLE = { login_throttle: 'a failed sign-in counts against the name (the lockout)' };
const OTP_ATTEMPTS = { otp_codes: 'a wrong code counts against the outstanding code' };

describe('the token endpoint', () => {
  family({
    name: 'POST /token authorization_code',
    params: ['form:code', 'form:redirect_uri', 'form:code_verifier', 'form:grant_type'],
    async build(v) {
      const { code, verifier } = await freshCode();
      return bodyRequest(
        'POST',
        '/token',
        { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier },
        v,
        { authorization: DEMO_WEB_AUTH },
      );
    },
  });

  family({
    name: 'POST /token refresh_token',
    params: ['form:refresh_token', 'form:scope'],
    build: (v) =>
      bodyRequest('POST', '/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh }, v, {
        authorization: DEMO_CLI_AUTH,
      }),
    after(answer) {
      // Rotation: the next case presents the refresh token the last success gave.
      if (answer.status === 200)
        tokens.refresh = (JSON.parse(answer.body) as { refresh_token: string }).refresh_token;
    },
  });

  family({
    name: 'POST /token client_credentials',
    params: ['form:scope', 'form:resource', 'form:grant_type', 'header:DPoP'],
    build: (v) =>
      bodyRequest('POST', '/token', { grant_type: 'client_credentials' }, v, {
        authorization: DEMO_SERVICE_AUTH,
        dpop: header(v, 'header:DPoP', undefined),
      }),
  });

  family({
    name: 'POST /token password',
    mayChange: THROTTLE,
    params: ['form:username', 'form:password', 'form:scope'],
    build: (v) =>
      bodyRequest(
        'POST',
        '/token',
        { grant_type: 'password', username: 'alice', password: ALICE.password, scope: 'openid' },
        v,
        { authorization: DEMO_CLI_AUTH },
      ),
  });

  family({
    name: 'POST /token otp',
    mayChange: { ...THROTTLE, ...OTP_ATTEMPTS },
    params: ['form:username', 'form:otp', 'form:scope'],
    build: async (v) =>
      bodyRequest(
        'POST',
        '/token',
        { grant_type: OTP_GRANT, username: 'alice', otp: await freshOtp(), scope: 'openid' },
        v,
        {
          authorization: DEMO_CLI_AUTH,
        },
      ),
  });

  family({
    name: 'client authentication (Basic and client_secret_post)',
    params: [
      'basic:client_id',
      'basic:client_secret',
      'header:Authorization (the whole Basic value)',
      'form:client_id',
      'form:client_secret',
      'form:client_assertion',
      // RFC 6749 §2.3.1: one method per request; a body client_id beside Basic must match it.
      'form+basic:client_id',
    ],
    build(v) {
      if (v['form+basic:client_id'])
        return {
          method: 'POST',
          path: '/token',
          headers: { authorization: DEMO_SERVICE_AUTH, 'content-type': FORM },
          body: encodeForm({ grant_type: 'client_credentials' }, { client_id: v['form+basic:client_id'] }),
        };
      const post = carried(v, 'form');
      if (Object.keys(post).length) {
        const base: Base = {
          grant_type: 'client_credentials',
          client_id: DEMO_SERVICE.id,
          client_secret: DEMO_SERVICE.secret,
        };
        if (post.client_assertion)
          base.client_assertion_type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
        return bodyRequest('POST', '/token', base, v);
      }
      const authorization = v['header:Authorization (the whole Basic value)']
        ? header(v, 'header:Authorization (the whole Basic value)', undefined, 'Basic ')
        : basicWith(v, DEMO_SERVICE.id, DEMO_SERVICE.secret);
      return bodyRequest('POST', '/token', { grant_type: 'client_credentials' }, {}, { authorization });
    },
  });
});

describe('introspection, revocation and userinfo', () => {
  family({
    name: 'POST /token/introspection',
    params: ['form:token', 'form:token_type_hint'],
    build: (v) =>
      bodyRequest('POST', '/token/introspection', { token: tokens.cc, token_type_hint: 'access_token' }, v, {
        authorization: DEMO_SERVICE_AUTH,
      }),
  });

  family({
    name: 'POST /token/revocation',
    params: ['form:token', 'form:token_type_hint'],
    // A live token of the caller's own each time, so a hostile hint beside it reaches the revocation.
    build: async (v) =>
      bodyRequest(
        'POST',
        '/token/revocation',
        {
          token: (await tokenRequest(DEMO_SERVICE_AUTH, { grant_type: 'client_credentials' })).access_token,
          token_type_hint: 'access_token',
        },
        v,
        { authorization: DEMO_SERVICE_AUTH },
      ),
  });

  family({
    name: 'GET and POST /me (userinfo)',
    params: [
      'header:Authorization Bearer (GET)',
      'header:Authorization Bearer (POST)',
      'form:access_token',
      'query:access_token',
      'header:Authorization DPoP (GET)',
      'header:DPoP (GET, beside a valid bearer token)',
    ],
    single: true,
    build(v) {
      if (v['form:access_token']) return bodyRequest('POST', '/me', {}, v);
      if (v['header:Authorization DPoP (GET)'])
        return {
          method: 'GET',
          path: '/me',
          headers: { authorization: header(v, 'header:Authorization DPoP (GET)', undefined, 'DPoP ') },
        };
      if (v['header:DPoP (GET, beside a valid bearer token)'])
        return {
          method: 'GET',
          path: '/me',
          headers: {
            authorization: bearer(),
            dpop: header(v, 'header:DPoP (GET, beside a valid bearer token)', undefined),
          },
        };
      if (v['query:access_token'])
        return { method: 'GET', path: `/me?${encodeForm({}, carried(v, 'query'))}` };
      const post = 'header:Authorization Bearer (POST)' in v;
      const param = post ? 'header:Authorization Bearer (POST)' : 'header:Authorization Bearer (GET)';
      const authorization = header(v, param, undefined, 'Bearer ', 'not-a-token');
      return post
        ? { method: 'POST', path: '/me', headers: { authorization, 'content-type': FORM }, body: '' }
        : { method: 'GET', path: '/me', headers: { authorization } };
    },
  });
});

const AUTH_PARAMS = [
  'client_id',
  'redirect_uri',
  'response_type',
  'scope',
  'state',
  'nonce',
  'ui_locales',
  'acr_values',
  'login_hint',
  'prompt',
  'max_age',
  'claims',
  'code_challenge',
  'response_mode',
  'id_token_hint',
  'display',
  'claims_locales',
  'resource',
  'request',
  'request_uri',
  // request_uri in the form the provider looks up (a pushed request's id).
  'request_uri urn',
];

const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';

/** A hostile value behind a fixed prefix (text and raw values; others as they are). */
function prefixed(value: Hostile, prefix: string): Hostile {
  if (value.kind === 'text') return text(value.cls, `${prefix}${value.s}`);
  if (value.kind === 'raw') return raw(value.cls, `${formEncode(prefix)}${value.s}`);
  return value;
}

/** The authorization parameters of a case, `request_uri urn` behind its prefix. */
function authorizationValues(v: Values, carrier: string): Values {
  const out: Values = {};
  for (const [param, value] of Object.entries(v))
    out[param] = param.endsWith(' urn') ? prefixed(value, REQUEST_URI_PREFIX) : value;
  return carried(out, carrier);
}

function authorizationBase(values: Values): Base {
  return {
    client_id: DEMO_WEB.id,
    redirect_uri: CALLBACK,
    response_type: 'code',
    scope: 'openid profile',
    state: 'fuzz-state',
    nonce: 'fuzz-nonce',
    ...(values.code_challenge ? { code_challenge_method: 'S256' } : {}),
  };
}

describe('the authorization endpoint', () => {
  family({
    name: 'GET /auth',
    params: [...AUTH_PARAMS.map((p) => `query:${p}`), 'header:Cookie _session', 'header:Accept-Language'],
    build(v) {
      const query = authorizationValues(v, 'query');
      return {
        method: 'GET',
        path: `/auth?${encodeForm(authorizationBase(query), query)}`,
        headers: {
          accept: 'text/html',
          'accept-language': header(v, 'header:Accept-Language', undefined),
          cookie: header(v, 'header:Cookie _session', undefined, '_session='),
        },
        // On to the login page, which shows what the request carried (login_hint, ui_locales).
        follow: 1,
      };
    },
  });

  family({
    name: 'GET /auth in a signed-in session (consent and login pages)',
    params: [
      ...[
        'scope',
        'claims',
        'prompt',
        'max_age',
        'ui_locales',
        'acr_values',
        'login_hint',
        'id_token_hint',
        'nonce',
      ].map((p) => `query:${p}`),
      'header:Accept-Language',
    ],
    build(v) {
      const query = carried(v, 'query');
      // Alice's browser at demo-web: the request goes straight to consent (or back with a code).
      const cookie = cookiesOf(web.browser, '/auth');
      return {
        method: 'GET',
        path: `/auth?${encodeForm({ ...authorizationBase(query), prompt: 'consent' }, query)}`,
        headers: {
          accept: 'text/html',
          cookie,
          'accept-language': header(v, 'header:Accept-Language', undefined),
        },
        follow: 1,
      };
    },
  });

  family({
    name: 'POST /auth',
    params: AUTH_PARAMS.map((p) => `form:${p}`),
    build(v) {
      const form = authorizationValues(v, 'form');
      return {
        method: 'POST',
        path: '/auth',
        headers: { accept: 'text/html', 'content-type': FORM },
        body: encodeForm(authorizationBase(form), form),
        // The POST answers 303 to the same request as a GET, which answers with the login page.
        follow: 2,
      };
    },
  });

  family({
    name: 'POST /request (pushed authorization request)',
    params: AUTH_PARAMS.filter((p) => !p.startsWith('request')).map((p) => `form:${p}`),
    build(v) {
      const form = carried(v, 'form');
      return bodyRequest('POST', '/request', authorizationBase(form), v, { authorization: DEMO_WEB_AUTH });
    },
  });
});

const LOGOUT_PARAMS = [
  'id_token_hint',
  'post_logout_redirect_uri',
  'state',
  'client_id',
  'ui_locales',
  'logout_hint',
];
const logoutBase = (): Base => ({
  id_token_hint: tokens.webIdToken,
  post_logout_redirect_uri: DEMO_WEB.postLogoutRedirectUri,
  state: 'fuzz-state',
  client_id: DEMO_WEB.id,
});

describe('RP-initiated logout', () => {
  family({
    name: 'GET /session/end',
    params: LOGOUT_PARAMS.map((p) => `query:${p}`),
    build: (v) => ({
      method: 'GET',
      path: `/session/end?${encodeForm(logoutBase(), carried(v, 'query'))}`,
      headers: { accept: 'text/html' },
    }),
  });

  family({
    name: 'GET /session/end in a signed-in session (the confirmation page)',
    params: [...LOGOUT_PARAMS.map((p) => `query:${p}`), 'header:Accept-Language'],
    build: (v) => ({
      method: 'GET',
      path: `/session/end?${encodeForm(logoutBase(), carried(v, 'query'))}`,
      // Alice's browser at demo-web. Showing the confirmation ends nothing: only its form would.
      headers: {
        accept: 'text/html',
        cookie: cookiesOf(web.browser, '/session/end'),
        'accept-language': header(v, 'header:Accept-Language', undefined),
      },
    }),
  });

  family({
    name: 'POST /session/end',
    // Not served (oidc-provider's enableHttpPostMethods is off): the cases check its 404 holds.
    runs: 10,
    params: LOGOUT_PARAMS.map((p) => `form:${p}`),
    build: (v) => bodyRequest('POST', '/session/end', logoutBase(), v, { accept: 'text/html' }),
  });

  family({
    name: 'POST /session/end/confirm',
    params: ['form:xsrf', 'form:logout'],
    build: (v) =>
      bodyRequest('POST', '/session/end/confirm', { xsrf: 'fuzz-xsrf', logout: 'yes' }, v, {
        accept: 'text/html',
      }),
  });
});

describe('the login and interaction pages', () => {
  family({
    name: 'POST /interaction/:uid/login',
    mayChange: THROTTLE,
    params: ['form:username', 'form:password', 'path:uid', 'header:Cookie _interaction'],
    async build(v) {
      loginTarget ??= await startLogin();
      const target = loginTarget;
      const uid = v['path:uid'] ? pathSegment(v['path:uid'], target.uid) : target.uid;
      const urlPath = `/interaction/${uid}/login`;
      const cookies = cookieHeader(target, `/interaction/${target.uid}/login`);
      const hostile = v['header:Cookie _interaction']
        ? header(v, 'header:Cookie _interaction', undefined, '_interaction=', target.uid)
        : undefined;
      // The hostile _interaction cookie in place of the real one, beside its signature.
      const others = cookies
        .split('; ')
        .filter((c) => !c.startsWith('_interaction='))
        .join('; ');
      const cookie =
        hostile === undefined ? cookies : [hostile].flat().map((h) => (others ? `${h}; ${others}` : h));
      return bodyRequest('POST', urlPath, { username: 'alice', password: ALICE.password }, v, {
        accept: 'text/html',
        cookie,
      });
    },
    after(answer) {
      // A sign-in that went through (or an interaction that ended) needs a new interaction.
      if (answer.status >= 300 && answer.status < 400) loginTarget = undefined;
    },
  });

  family({
    name: 'the interaction pages (hostile uid)',
    params: [
      'path:uid GET /interaction/:uid',
      'path:uid POST /interaction/:uid/confirm',
      'path:uid POST /interaction/:uid/abort',
      'path:uid GET /interaction/:uid/login',
      // The provider's resume endpoint, where a finished interaction returns.
      'path:uid GET /auth/:uid',
      'header:Accept-Language GET /interaction/:uid',
    ],
    single: true,
    accepts: (_param, value) => value.kind !== 'dup' || !value.pair.includes(BASELINE),
    async build(v) {
      loginTarget ??= await startLogin();
      const [param, value] = Object.entries(v)[0]!;
      const cookie = cookieHeader(loginTarget, `/interaction/${loginTarget.uid}`);
      if (param.startsWith('header:Accept-Language')) {
        const language = headerValue(value) ?? undefined;
        return {
          method: 'GET',
          path: `/interaction/${loginTarget.uid}`,
          headers: { accept: 'text/html', cookie, 'accept-language': language },
        };
      }
      const [, method, template] = param.split(' ');
      const urlPath = template!.replace(':uid', pathSegment(value));
      const resume = template!.startsWith('/auth/');
      const cookies = resume ? cookieHeader(loginTarget, `/auth/${loginTarget.uid}`) : cookie;
      return method === 'GET'
        ? { method, path: urlPath, headers: { accept: 'text/html', cookie: cookies } }
        : {
            method: method!,
            path: urlPath,
            headers: { accept: 'text/html', cookie, 'content-type': FORM },
            body: 'decision=allow',
          };
    },
  });
});

/** An interaction of alice's signed-in browser at its consent step. */
let consentTarget: LoginTarget | undefined;

async function startConsent(): Promise<LoginTarget> {
  const started = await start(web.browser, web.rp, CALLBACK, { prompt: 'consent' });
  const page = expectPage(started.outcome);
  const uid = /\/interaction\/([^/?#]+)/.exec(page.url)?.[1];
  if (!uid) throw new Error(`no consent interaction in ${page.url}`);
  return { uid, cookies: web.browser.cookies() };
}

describe('the consent form', () => {
  family({
    name: 'POST /interaction/:uid/confirm',
    params: ['form:decision', 'form:<key>', 'header:Sec-Fetch-Site'],
    async build(v) {
      consentTarget ??= await startConsent();
      const urlPath = `/interaction/${consentTarget.uid}/confirm`;
      return bodyRequest('POST', urlPath, { decision: 'neither' }, v, {
        accept: 'text/html',
        cookie: cookieHeader(consentTarget, urlPath),
        'sec-fetch-site': header(v, 'header:Sec-Fetch-Site', undefined),
      });
    },
    after(answer) {
      // A decision that went through ends the interaction.
      if (answer.status >= 300 && answer.status < 400) consentTarget = undefined;
    },
  });
});

describe('the integrator routes', () => {
  family({
    name: 'POST /api/request-otp',
    params: ['json:username', 'form:username', 'json:<key>'],
    build: (v) => bodyRequest('POST', '/api/request-otp', {}, v),
  });

  family({
    name: 'POST /api/token/password (X-Service-Key)',
    mayChange: THROTTLE,
    params: [
      'header:X-Service-Key',
      'json:username',
      'json:password',
      'json:scope',
      'form:username',
      'form:password',
      'form:scope',
      'json:<key>',
    ],
    build: (v) =>
      bodyRequest(
        'POST',
        Object.keys(carried(v, 'form')).length ? '/api/token/password/' : '/api/token/password',
        { username: 'alice', password: ALICE.password, scope: 'openid' },
        v,
        { 'x-service-key': header(v, 'header:X-Service-Key', DEMO_SERVICE_KEY) },
      ),
  });

  family({
    name: 'POST /api/token/otp (X-Service-Key)',
    mayChange: { ...THROTTLE, ...OTP_ATTEMPTS },
    params: [
      'header:X-Service-Key',
      'json:username',
      'json:otp',
      'json:scope',
      'form:username',
      'form:otp',
      'form:scope',
    ],
    build: async (v) =>
      bodyRequest(
        'POST',
        Object.keys(carried(v, 'form')).length ? '/api/token/otp/' : '/api/token/otp',
        { username: 'alice', otp: await freshOtp(), scope: 'openid' },
        v,
        { 'x-service-key': header(v, 'header:X-Service-Key', DEMO_SERVICE_KEY) },
      ),
  });
});

const PROFILE_FIELDS = ['given_name', 'family_name', 'phone_number', 'locale', 'email'];

describe('the user API', () => {
  family({
    name: 'PUT /api/profile',
    params: [
      ...PROFILE_FIELDS.map((f) => `json:${f}`),
      ...PROFILE_FIELDS.map((f) => `form:${f}`),
      'json:<key>',
      'form:<key>',
    ],
    build: (v) => bodyRequest('PUT', '/api/profile', { given_name: 'Ada' }, v, { authorization: bearer() }),
  });

  family({
    name: 'the bearer token of the user API',
    params: [
      'header:Authorization GET /api/profile',
      'header:Authorization GET /api/userinfo',
      'header:Authorization GET /api/roles',
      'header:Authorization PUT /api/profile',
      'header:Authorization POST /api/logout',
      'header:Authorization POST /api/validate-token',
      'header:Authorization GET /api/profile (the whole value, no scheme)',
      'header:DPoP GET /api/profile (beside a valid bearer token)',
    ],
    single: true,
    // Never the valid token twice at /api/logout: that would end the token every other family uses.
    build(v) {
      const [param, value] = Object.entries(v)[0]!;
      const [carrier, method, urlPath] = param.split(' ') as [string, string, string];
      const dpop = carrier === 'header:DPoP';
      const authorization = dpop
        ? bearer()
        : (headerValue(value, 'not-a-valid-token', param.includes('no scheme') ? '' : 'Bearer ') ??
          undefined);
      const headers = { authorization, dpop: dpop ? (headerValue(value) ?? undefined) : undefined };
      return method === 'GET'
        ? { method, path: urlPath, headers }
        : {
            method,
            path: urlPath,
            headers: { ...headers, 'content-type': JSON_TYPE },
            body: method === 'PUT' ? '{"given_name":"Ada"}' : '{}',
          };
    },
  });

  family({
    name: 'POST /api/validate-token',
    single: true,
    params: [
      'json:token (bearer caller)',
      'json:token_type_hint (bearer caller)',
      'json:token (Basic caller)',
      'form:token (X-Service-Key caller)',
      'form:token_type_hint (X-Service-Key caller)',
      'header:X-Service-Key',
      'basic:client_id',
      'basic:client_secret',
    ],
    build(v) {
      const [param] = Object.keys(v);
      const headers: Record<string, string | string[] | undefined> = {};
      if (param!.includes('bearer caller')) headers.authorization = bearer();
      else if (param!.includes('X-Service-Key') || param === 'header:X-Service-Key')
        headers['x-service-key'] = header(v, 'header:X-Service-Key', DEMO_SERVICE_KEY);
      else headers.authorization = basicWith(v, DEMO_SERVICE.id, DEMO_SERVICE.secret);
      return bodyRequest('POST', '/api/validate-token', { token: tokens.admin }, v, headers);
    },
  });
});

describe('the administration API', () => {
  const admin = () => ({ authorization: bearer() });

  family({
    name: 'GET /api/admin/users (query)',
    params: ['query:prefix', 'query:cursor', 'query:limit', 'query:<key>'],
    build: (v) => ({
      method: 'GET',
      path: `/api/admin/users?${encodeForm({ limit: '5' }, carried(v, 'query'))}`,
      headers: admin(),
    }),
  });

  family({
    name: 'POST /api/admin/users',
    params: [
      'json:username',
      'json:password',
      'json:email',
      'json:given_name',
      'json:phone_number',
      'json:locale',
      'json:roles',
      'json:roles[]',
      'json:email_verified',
      'json:disabled',
      'json:<key>',
      'form:username',
      'form:password',
      'form:roles',
    ],
    build(v) {
      const username = `fuzz-user-${++created}`;
      return bodyRequest(
        'POST',
        '/api/admin/users',
        { username, password: 'fuzz-password-1', roles: ['user'] },
        v,
        admin(),
      );
    },
  });

  const USER_ROUTES = [
    'GET /api/admin/users/:id',
    'PATCH /api/admin/users/:id',
    'DELETE /api/admin/users/:id',
    'PUT /api/admin/users/:id/roles',
    'POST /api/admin/users/:id/password',
    'POST /api/admin/users/:id/disable',
    'POST /api/admin/users/:id/enable',
    'POST /api/admin/users/:id/unlock',
  ];
  const ROUTE_BODIES: Record<string, string> = {
    PATCH: '{"given_name":"Fuzz"}',
    PUT: '{"roles":["user"]}',
    POST: '{"password":"fuzz-password-2"}',
  };
  family({
    name: 'the user routes (hostile :id)',
    params: USER_ROUTES.map((r) => `path:id ${r}`),
    single: true,
    // A hostile id never names the target user: `dup` uses a made-up baseline.
    build(v) {
      const [param, value] = Object.entries(v)[0]!;
      const [, method, template] = param.split(' ');
      return {
        method: method!,
        path: template!.replace(':id', pathSegment(value, '6f1f4b5e-7d51-4d8a-9a0e-000000000000')),
        headers: { ...admin(), 'content-type': JSON_TYPE },
        body: method === 'GET' || method === 'DELETE' ? undefined : ROUTE_BODIES[method!],
      };
    },
  });

  family({
    name: 'PATCH /api/admin/users/:id (body)',
    params: [
      ...[
        'given_name',
        'family_name',
        'phone_number',
        'locale',
        'email',
        'email_verified',
        'phone_number_verified',
      ].map((f) => `json:${f}`),
      'json:<key>',
      'form:given_name',
      'form:email_verified',
    ],
    build: (v) =>
      bodyRequest('PATCH', `/api/admin/users/${FUZZ_USER_ID}`, { given_name: 'Fuzz' }, v, admin()),
  });

  family({
    name: 'PUT /api/admin/users/:id/roles and POST …/password (body)',
    params: ['json:roles', 'json:roles[]', 'form:roles', 'json:password', 'form:password'],
    build(v) {
      const [param] = Object.keys(v);
      return param!.endsWith('password')
        ? bodyRequest('POST', `/api/admin/users/${FUZZ_USER_ID}/password`, {}, v, admin())
        : bodyRequest('PUT', `/api/admin/users/${FUZZ_USER_ID}/roles`, {}, v, admin());
    },
  });

  family({
    name: 'the role routes',
    params: [
      'json:name',
      'json:description',
      'form:name',
      'json:<key>',
      'path:name DELETE /api/admin/roles/:name',
      'query:force',
    ],
    single: true,
    build(v) {
      if (v['path:name DELETE /api/admin/roles/:name'])
        return {
          method: 'DELETE',
          path: `/api/admin/roles/${pathSegment(v['path:name DELETE /api/admin/roles/:name'], 'no-such-role')}`,
          headers: admin(),
        };
      if (v['query:force'])
        return {
          method: 'DELETE',
          path: `/api/admin/roles/no-such-role?${encodeForm({}, carried(v, 'query'))}`,
          headers: admin(),
        };
      const name = `fuzz-role-${++created}`;
      return bodyRequest('POST', '/api/admin/roles', { name, description: 'Fuzz' }, v, admin());
    },
  });

  family({
    name: 'POST /api/admin/clients',
    params: [
      'json:client_id',
      'json:client_name',
      'json:redirect_uris',
      'json:redirect_uris[]',
      'json:post_logout_redirect_uris[]',
      'json:grant_types',
      'json:grant_types[]',
      'json:public',
      'json:first_party',
      'json:scope',
      'json:<key>',
      'form:client_name',
      'form:redirect_uris',
    ],
    build: (v) =>
      bodyRequest(
        'POST',
        '/api/admin/clients',
        {
          client_name: 'Fuzz',
          grant_types: ['authorization_code'],
          redirect_uris: ['https://rp.example/cb'],
        },
        v,
        admin(),
      ),
  });

  const CLIENT_ROUTES = [
    'GET /api/admin/clients/:clientId',
    'PATCH /api/admin/clients/:clientId',
    'DELETE /api/admin/clients/:clientId',
    'POST /api/admin/clients/:clientId/secret',
    'GET /api/admin/clients/:clientId/service-keys',
    'POST /api/admin/clients/:clientId/service-keys',
    'DELETE /api/admin/clients/:clientId/service-keys/:keyId',
  ];
  family({
    name: 'the client routes (hostile :clientId, :keyId)',
    params: [
      ...CLIENT_ROUTES.map((r) => `path:clientId ${r}`),
      'path:keyId DELETE /api/admin/clients/fuzz-client/service-keys/:keyId',
    ],
    single: true,
    build(v) {
      const [param, value] = Object.entries(v)[0]!;
      const [, method, template] = param.split(' ');
      const urlPath = template!
        .replace(':clientId', pathSegment(value, 'no-such-client'))
        .replace(
          ':keyId',
          param.startsWith('path:keyId')
            ? pathSegment(value, '6f1f4b5e-7d51-4d8a-9a0e-000000000000')
            : '6f1f4b5e-7d51-4d8a-9a0e-000000000000',
        );
      return {
        method: method!,
        path: urlPath,
        headers: { ...admin(), 'content-type': JSON_TYPE },
        body: method === 'PATCH' ? '{"client_name":"Fuzz"}' : undefined,
      };
    },
  });

  family({
    name: 'PATCH /api/admin/clients/:clientId (body)',
    params: [
      'json:client_name',
      'json:redirect_uris',
      'json:redirect_uris[]',
      'json:post_logout_redirect_uris[]',
      'json:grant_types',
      'json:grant_types[]',
      'json:scope',
      'json:<key>',
      'form:scope',
    ],
    build: (v) =>
      bodyRequest('PATCH', `/api/admin/clients/${FUZZ_CLIENT}`, { client_name: 'Fuzz target' }, v, admin()),
  });
});

// ---- headers and bodies as a whole ------------------------------------------------------------------

const HOSTS: Hostile[] = [
  '127.0.0.1:99999',
  'exa mple',
  '',
  'localhost:0',
  '[::1',
  '[::1]:80',
  'evil.example',
  '127.0.0.1:abc',
  ':80',
  'a'.repeat(300),
  'user@evil.example',
  'evil.example/path?x',
  '127.0.0.1:3000, evil.example',
  'ÿ',
].map((h) => text('host', h));

const HOST_ROUTES: Record<string, () => Wire> = {
  'GET /.well-known/openid-configuration': () => ({
    method: 'GET',
    path: '/.well-known/openid-configuration',
  }),
  'GET /session/end': () => ({
    method: 'GET',
    path: `/session/end?${encodeForm(logoutBase(), {})}`,
    headers: { accept: 'text/html' },
  }),
  'GET /auth': () => ({
    method: 'GET',
    path: `/auth?${encodeForm(authorizationBase({}), {})}`,
    headers: { accept: 'text/html' },
  }),
  'POST /token': () =>
    bodyRequest(
      'POST',
      '/token',
      { grant_type: 'client_credentials' },
      {},
      { authorization: DEMO_SERVICE_AUTH },
    ),
  'GET /api/profile': () => ({ method: 'GET', path: '/api/profile', headers: { authorization: bearer() } }),
  'POST /api/request-otp': () => bodyRequest('POST', '/api/request-otp', { username: 'nobody-here' }, {}),
  'POST /api/token/password': () =>
    bodyRequest(
      'POST',
      '/api/token/password',
      { username: 'alice', password: 'wrong-password', scope: 'openid' },
      {},
      {
        'x-service-key': DEMO_SERVICE_KEY,
      },
    ),
};

const CORS_ROUTES: Record<string, { method: string; path: string; headers?: Record<string, string> }> = {
  'OPTIONS /api/profile': {
    method: 'OPTIONS',
    path: '/api/profile',
    headers: { 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization' },
  },
  'GET /api/profile': { method: 'GET', path: '/api/profile' },
  'OPTIONS /token': {
    method: 'OPTIONS',
    path: '/token',
    headers: { 'access-control-request-method': 'POST' },
  },
  'GET /.well-known/openid-configuration': { method: 'GET', path: '/.well-known/openid-configuration' },
};

describe('headers', () => {
  family({
    name: 'CORS (Origin and preflight headers)',
    params: [
      ...Object.keys(CORS_ROUTES).map((r) => `header:Origin ${r}`),
      'header:Access-Control-Request-Method OPTIONS /api/profile',
      'header:Access-Control-Request-Headers OPTIONS /api/profile',
    ],
    single: true,
    extraExamples: [
      text('host', 'null'),
      text('host', 'http://localhost:5173.evil.example'),
      text('host', 'HTTP://LOCALHOST:5173'),
    ],
    build(v) {
      const [param, value] = Object.entries(v)[0]!;
      const [carrier, ...route] = param.split(' ');
      const name = carrier!.slice('header:'.length).toLowerCase();
      const { method, path: urlPath, headers } = CORS_ROUTES[route.join(' ')]!;
      return {
        method,
        path: urlPath,
        headers: {
          origin: 'http://localhost:5173',
          authorization: urlPath.startsWith('/api') ? bearer() : undefined,
          ...headers,
          [name]: headerValue(value, 'http://localhost:5173') ?? undefined,
        },
      };
    },
  });

  family({
    name: 'a hostile Host header',
    // The password route counts the wrong password it carries (see THROTTLE).
    mayChange: THROTTLE,
    params: Object.keys(HOST_ROUTES).map((r) => `header:Host ${r}`),
    single: true,
    values: fc.oneof(fc.constantFrom(...HOSTS), hostileValue),
    extraExamples: [...HOSTS, ABSENT],
    build(v) {
      const [param, value] = Object.entries(v)[0]!;
      const wire = HOST_ROUTES[param.slice('header:Host '.length)]!();
      // ABSENT: no Host header at all.
      const host =
        value.kind === 'absent' ? null : headerValue(value, `127.0.0.1:${new URL(node.issuer).port}`);
      return { ...wire, host: host ?? null };
    },
  });

  const CONTENT_TYPES: Hostile[] = [
    'application/json; charset=utf-16',
    'application/x-www-form-urlencoded; charset=iso-8859-1',
    'application/json; charset=nonsense',
    'multipart/form-data; boundary=x',
    'text/plain',
    'application/json;;;',
    '*/*',
    'application/x-www-form-urlencoded, application/json',
    'application/vnd.api+json',
  ].map((t) => text('content-type', t));

  const CONTENT_ROUTES: Record<string, () => Wire> = {
    'POST /token': () =>
      bodyRequest(
        'POST',
        '/token',
        { grant_type: 'client_credentials' },
        {},
        { authorization: DEMO_SERVICE_AUTH },
      ),
    'PUT /api/profile': () =>
      bodyRequest(
        'PUT',
        '/api/profile',
        { given_name: 'Ada' },
        { 'json:x': ABSENT },
        { authorization: bearer() },
      ),
    'POST /api/request-otp': () => bodyRequest('POST', '/api/request-otp', { username: 'nobody-here' }, {}),
    'POST /api/token/otp': () =>
      bodyRequest(
        'POST',
        '/api/token/otp',
        { username: 'nobody-here', otp: '123456' },
        { 'json:x': ABSENT },
        {
          'x-service-key': DEMO_SERVICE_KEY,
        },
      ),
    'POST /auth': () => bodyRequest('POST', '/auth', authorizationBase({}), {}),
  };

  family({
    name: 'a hostile Content-Type',
    // The one-time-code route counts the failed sign-in it carries.
    mayChange: THROTTLE,
    params: Object.keys(CONTENT_ROUTES).map((r) => `header:Content-Type ${r}`),
    single: true,
    values: fc.oneof(fc.constantFrom(...CONTENT_TYPES), hostileValue),
    extraExamples: [...CONTENT_TYPES],
    build(v) {
      const [param, value] = Object.entries(v)[0]!;
      const wire = CONTENT_ROUTES[param.slice('header:Content-Type '.length)]!();
      return { ...wire, headers: { ...wire.headers, 'content-type': headerValue(value) ?? undefined } };
    },
  });

  const BODIES: Hostile[] = [
    '',
    // Many members and a long list, under the body limit.
    `{${Array.from({ length: 4000 }, (_, i) => `"k${i}":${i}`).join(',')}}`,
    `[${'0,'.repeat(20000)}0]`,
    '{',
    '[]',
    '["username"]',
    '"alice"',
    'null',
    '1',
    'true',
    '{"username":"alice"}{',
    '\ufeff{"username":"alice"}',
    '{"__proto__":{"username":"admin"}}',
    '{"constructor":{"prototype":{"admin":true}}}',
    `${'['.repeat(5000)}${']'.repeat(5000)}`,
    `{"a":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`,
    '{"username":"\\u0000"}',
    '{"username":"\\ud800"}',
    '{"username":"alice","username":["alice"]}',
    '{"username":1e999}',
  ].map((b) => text('body', b));
  /** Bytes that are not UTF-8, as a latin1 string (sent byte for byte). */
  const BYTES: Hostile[] = ['{"username":"\xff\xfe"}', '{"username":"\xc0\x80"}', '\xef\xbb\xbf\xff'].map(
    (b) => raw('body', b),
  );

  const JSON_ROUTES: Record<string, Record<string, string>> = {
    'POST /api/request-otp': {},
    'POST /api/token/password': { 'x-service-key': DEMO_SERVICE_KEY },
    'PUT /api/profile': { authorization: `Bearer` },
    'POST /api/validate-token': { authorization: `Bearer` },
    'POST /api/admin/users': { authorization: `Bearer` },
    'PATCH /api/admin/clients/fuzz-client': { authorization: `Bearer` },
  };

  family({
    name: 'a hostile JSON body',
    params: Object.keys(JSON_ROUTES).map((r) => `body:${r}`),
    single: true,
    values: fc.oneof(fc.constantFrom(...BODIES, ...BYTES), hostileValue),
    extraExamples: [...BODIES, ...BYTES],
    build(v) {
      const [param, value] = Object.entries(v)[0]!;
      const route = param.slice('body:'.length);
      const [method, urlPath] = route.split(' ');
      const headers = { ...JSON_ROUTES[route] };
      if (headers.authorization) headers.authorization = bearer();
      const body = value.kind === 'raw' ? Buffer.from(value.s, 'latin1') : charactersOf(value);
      return { method: method!, path: urlPath!, headers: { ...headers, 'content-type': JSON_TYPE }, body };
    },
  });
});

// ---- methods and paths ------------------------------------------------------------------------------

/** Methods Node's parser accepts (CONNECT aside: Node itself closes it without a handler). */
const METHODS: Hostile[] = [
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'PROPFIND',
  'SEARCH',
].map((m) => text('method', m));

/** Routes to send every method to: none whose success could end a token or delete a target. */
const METHOD_ROUTES: Record<string, () => { path: string; headers?: Record<string, string> }> = {
  '/token': () => ({ path: '/token', headers: { authorization: DEMO_SERVICE_AUTH } }),
  '/token/introspection': () => ({
    path: '/token/introspection',
    headers: { authorization: DEMO_SERVICE_AUTH },
  }),
  '/me': () => ({ path: '/me', headers: { authorization: bearer() } }),
  '/auth': () => ({ path: `/auth?${encodeForm(authorizationBase({}), {})}` }),
  '/request': () => ({ path: '/request', headers: { authorization: DEMO_WEB_AUTH } }),
  '/session/end/confirm': () => ({ path: '/session/end/confirm' }),
  '/jwks': () => ({ path: '/jwks' }),
  '/interaction/:uid/login': () => ({
    path: `/interaction/${loginTarget!.uid}/login`,
    headers: { cookie: cookieHeader(loginTarget!, `/interaction/${loginTarget!.uid}/login`) },
  }),
  '/api/request-otp': () => ({ path: '/api/request-otp' }),
  '/api/token/password': () => ({
    path: '/api/token/password',
    headers: { 'x-service-key': DEMO_SERVICE_KEY },
  }),
  '/api/profile': () => ({ path: '/api/profile', headers: { authorization: bearer() } }),
  '/api/validate-token': () => ({ path: '/api/validate-token', headers: { authorization: bearer() } }),
  '/api/admin/users': () => ({ path: '/api/admin/users', headers: { authorization: bearer() } }),
  // No token: a POST here with the admin token would end it.
  '/api/logout': () => ({ path: '/api/logout' }),
};

const PATHS: Hostile[] = [
  '..%2F..%2Fpackage.json',
  '%2e%2e/%2e%2e/etc/passwd',
  '..;/',
  '%2F%2F',
  '.',
  '..',
  '%5C..%5C',
  ';x=1',
  'profile%00.json',
  'openid-configuration%00',
  '%2e',
].map((p) => raw('path', p));

const PATH_TEMPLATES = [
  'GET /<v>',
  'GET /api/<v>',
  'GET /api/admin/<v>',
  'GET /auth/<v>',
  'GET /.well-known/<v>',
  'GET /assets/<v>',
  'POST /token/<v>',
  'GET /session/end/<v>',
  'GET /me/<v>',
];

describe('methods and paths', () => {
  family({
    name: 'an unexpected method',
    params: Object.keys(METHOD_ROUTES).map((r) => `method:${r}`),
    single: true,
    values: fc.constantFrom(...METHODS),
    extraExamples: METHODS,
    accepts: (_param, value) => value.cls === 'method',
    async build(v) {
      loginTarget ??= await startLogin();
      const [param, value] = Object.entries(v)[0]!;
      const route = METHOD_ROUTES[param.slice('method:'.length)]!();
      return {
        method: charactersOf(value),
        path: route.path,
        headers: { accept: 'text/html', ...route.headers, 'content-type': FORM },
        body: '',
      };
    },
    after(answer) {
      if (answer.status >= 300 && answer.status < 400) loginTarget = undefined;
    },
  });

  family({
    name: 'a hostile path',
    params: PATH_TEMPLATES.map((t) => `path:${t}`),
    single: true,
    values: fc.oneof(fc.constantFrom(...PATHS), hostileValue),
    extraExamples: PATHS,
    build(v) {
      const [param, value] = Object.entries(v)[0]!;
      const [method, template] = param.slice('path:'.length).split(' ') as [string, string];
      const urlPath = template.replace('<v>', pathSegment(value));
      return {
        method,
        path: urlPath,
        headers: {
          accept: 'text/html',
          authorization: urlPath.startsWith('/api/admin') ? bearer() : undefined,
        },
        body: method === 'POST' ? '' : undefined,
      };
    },
  });
});
