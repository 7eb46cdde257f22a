/**
 * The fuzz test's machinery: raw HTTP to a test node (node:http, so the Host header, repeated headers
 * and unencoded bytes go out as written), the checks every answer must pass, the database state a
 * refused request must leave alone, the node's error log lines, and the failure report (stop at the
 * first failure, or collect them all with FUZZ_REPORT=1).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import pino from 'pino';
import type { Knex } from 'knex';
import type { Logger } from '../../src/log';
import { charactersOf, describeValue, formEncode, pct, type Hostile } from './fuzz-values';

// ---- HTTP ------------------------------------------------------------------------------------------

export interface Wire {
  method: string;
  /** Path and query, already encoded as they go on the wire. */
  path: string;
  headers?: Record<string, string | string[] | undefined>;
  body?: string | Buffer;
  /** The Host header: undefined for the node's own, null for none at all. */
  host?: string | string[] | null;
  /**
   * Redirects to the node to follow, carrying the cookies it sets (a POST to /auth answers 303 to
   * the GET, which answers 303 to the login page that shows what the request carried).
   */
  follow?: number;
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** A transport problem: no answer at all. */
  error?: string;
}

/** The size of the request line and headers. */
function headBytes(wire: Wire): number {
  let size =
    wire.method.length + wire.path.length + 12 + (typeof wire.host === 'string' ? wire.host.length : 0);
  for (const [name, value] of Object.entries(wire.headers ?? {}))
    for (const v of value === undefined ? [] : [value].flat()) size += name.length + v.length + 4;
  return size;
}

export function createSender(port: number, timeoutMs = 15_000) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  function once(wire: Wire, useAgent: boolean): Promise<Answer> {
    return new Promise((resolve) => {
      // As raw name/value pairs, so a repeated header (Host included) goes out as written.
      const headers: string[] = [];
      const add = (name: string, value: string | string[] | null | undefined) => {
        for (const v of value === null || value === undefined ? [] : [value].flat()) headers.push(name, v);
      };
      add('host', wire.host === undefined ? `127.0.0.1:${port}` : wire.host);
      for (const [name, value] of Object.entries(wire.headers ?? {})) add(name, value);
      const body = wire.body === undefined ? undefined : Buffer.from(wire.body);
      if (body) add('content-length', String(body.length));
      let settled = false;
      const done = (answer: Answer) => {
        if (!settled) resolve(answer);
        settled = true;
      };
      let req: http.ClientRequest;
      try {
        req = http.request({
          host: '127.0.0.1',
          port,
          method: wire.method,
          path: wire.path,
          headers,
          setHost: false,
          agent: useAgent ? agent : false,
        });
      } catch (err) {
        // The client itself refused the request (an invalid path or header): not the server's fault.
        done({ status: -1, headers: {}, body: '', error: `client refused: ${(err as Error).message}` });
        return;
      }
      req.setTimeout(timeoutMs, () => {
        done({ status: 0, headers: {}, body: '', error: `no answer within ${timeoutMs} ms` });
        req.destroy();
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          done({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', (err) => done({ status: 0, headers: {}, body: '', error: err.message }));
      });
      req.on('error', (err) => done({ status: 0, headers: {}, body: '', error: err.message }));
      req.end(body);
    });
  }
  return {
    async send(wire: Wire): Promise<Answer> {
      const reset = (a: Answer) => a.status === 0 && /ECONNRESET|socket hang up|EPIPE/.test(a.error ?? '');
      let answer = await once(wire, true);
      // A kept-alive socket the server had just closed: one retry on a fresh connection.
      if (reset(answer)) answer = await once(wire, false);
      // Node's HTTP parser answers a request line and headers over http.maxHeaderSize with 431 and
      // closes the socket at once, often before the client has finished writing: the reset is that 431.
      if (reset(answer) && headBytes(wire) > http.maxHeaderSize)
        return { status: 431, headers: {}, body: '', error: `reset by the HTTP parser (${answer.error})` };
      return answer;
    },
    close: () => agent.destroy(),
  };
}

export type Sender = ReturnType<typeof createSender>;

// ---- what every answer must pass --------------------------------------------------------------------

const LEAKS: [string, RegExp][] = [
  ['stack trace', /(?:\n|\\n)\s+at .+:\d+:\d+/],
  [
    'SQL text',
    /\bselect\b[^<>]{0,200}?\bfrom\b|\binsert into\b|\bupdate\s+"?\w+"?\s+set\b|\bdelete from\b|oidc_payloads|\bknex\b|syntax error|invalid byte sequence|\bviolates\b/i,
  ],
  ['password hash', /\$2[aby]\$\d\d\$/],
];

const htmlEscape = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&#34;')
    .replace(/'/g, '&#39;');

/** The spellings in which an answer may legitimately echo an input (a state, a typed username). */
function echoesOf(value: Hostile): string[] {
  const s = charactersOf(value);
  const spellings = [
    s,
    pct(s),
    formEncode(s),
    htmlEscape(s),
    s
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&#x27;'),
    JSON.stringify(s).slice(1, -1),
    s.trim(),
  ];
  try {
    spellings.push(decodeURIComponent(s));
  } catch {
    // Percent garbage does not decode; the raw spelling covers it.
  }
  return [...new Set(spellings.flatMap((v) => [v, v.toLowerCase()]))].filter((v) => v.length >= 3);
}

export function leaksIn(text: string, inputs: Input[]): string[] {
  let scrubbed = text;
  for (const input of inputs)
    for (const echo of echoesOf(input.value).sort((a, b) => b.length - a.length))
      scrubbed = scrubbed.split(echo).join('<input>');
  const found: string[] = [];
  for (const [what, pattern] of LEAKS) {
    const match = pattern.exec(scrubbed);
    if (match) {
      const at = Math.max(0, match.index - 40);
      found.push(`${what}: …${JSON.stringify(scrubbed.slice(at, match.index + 80))}…`);
    }
  }
  return found;
}

// ---- database state a refused request must not change -----------------------------------------------

/** Tables checksummed row by row. */
const TABLES = [
  'accounts',
  'account_roles',
  'roles',
  'clients',
  'service_keys',
  'login_throttle',
  'otp_codes',
];

/** One number or digest per table, and a row count per oidc-provider model (`oidc_payloads:Grant`). */
export type State = Record<string, string>;

export async function snapshot(db: Knex): Promise<State> {
  const digests = TABLES.map(
    (t) => `(select md5(coalesce(string_agg(r::text, E'\\n' order by r::text), '')) from ${t} r) as ${t}`,
  );
  const sql = `select ${digests.join(', ')},
    (select coalesce(json_object_agg(model, n), '{}') from
      (select model, count(*) as n from oidc_payloads group by model) c) as payloads`;
  const result = (await db.raw(sql)) as { rows?: Record<string, unknown>[] };
  const row = (result.rows ?? (result as unknown as Record<string, unknown>[]))[0]!;
  const state: State = {};
  for (const t of TABLES) state[t] = String(row[t]);
  const payloads = (typeof row.payloads === 'string' ? JSON.parse(row.payloads) : row.payloads) as Record<
    string,
    number
  >;
  for (const [model, n] of Object.entries(payloads)) state[`oidc_payloads:${model}`] = String(n);
  return state;
}

/** What differs between two states, leaving out what the family may change. */
export function changes(before: State, after: State, mayChange: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const changed: string[] = [];
  for (const key of keys) {
    if (key in mayChange) continue;
    const a = before[key] ?? (key.startsWith('oidc_payloads:') ? '0' : '');
    const b = after[key] ?? (key.startsWith('oidc_payloads:') ? '0' : '');
    if (a !== b) changed.push(key.startsWith('oidc_payloads:') ? `${key} ${a} -> ${b}` : `${key} rows`);
  }
  return changed;
}

// ---- the node's log ---------------------------------------------------------------------------------

/** Takes over the node logger's destination: every line it writes is kept (and not printed). */
export function tapLogs(logger: Logger): { take(): string[] } {
  const stream = (logger as unknown as Record<symbol, { write(s: string): boolean }>)[
    pino.symbols.streamSym
  ]!;
  let lines: string[] = [];
  stream.write = (s: string) => {
    for (const line of s.split('\n')) if (line) lines.push(line);
    return true;
  };
  return {
    take() {
      const taken = lines;
      lines = [];
      return taken;
    },
  };
}

/** The first lines of the logged error (message and stack) of a log line, else its message. */
function errorOf(line: string): { message: string; stack: string[] } {
  try {
    const entry = JSON.parse(line) as { msg?: string; err?: { message?: string; stack?: string } };
    const stack = (entry.err?.stack ?? '').split('\n');
    const message = entry.err?.message ?? stack[0] ?? entry.msg ?? line;
    // A database error is its SQL, then " - " and what the database said: keep both ends.
    const [first = '', ...more] = message.split('\n');
    const said = more.length ? / - ([^\n]+)$/.exec(message)?.[1] : undefined;
    return { message: `${entry.msg ?? ''}: ${first}${said ? ` … - ${said}` : ''}`, stack: stack.slice(0, 6) };
  } catch {
    return { message: line.slice(0, 200), stack: [] };
  }
}

// ---- failures ---------------------------------------------------------------------------------------

export interface Input {
  param: string;
  value: Hostile;
}

export interface Family {
  name: string;
  /** Tables (or `oidc_payloads:Model` counts) a refused request of this family may change, and why. */
  mayChange?: Record<string, string>;
}

export interface Failure {
  family: string;
  method: string;
  path: string;
  inputs: { param: string; cls: string; value: string }[];
  status: number;
  problem: string;
  body: string;
  errorLine: string;
  logLines: string[];
  stack: string[];
}

export class Fuzzer {
  readonly failures: Failure[] = [];
  requests = 0;
  /** Statuses seen per family: shows how deep the cases went (all 400s reach little). */
  readonly statuses = new Map<string, Map<number, number>>();

  constructor(
    private readonly sender: Sender,
    /** The node's origin: redirects there are followed, others are not. */
    private readonly origin: string,
    private readonly db: Knex,
    private readonly logs: { take(): string[] },
    /** FUZZ_REPORT=1: record every failure instead of throwing at the first. */
    readonly collect: boolean,
  ) {}

  /** Sends one hostile request and checks its answer; returns the (last) answer. */
  async probe(family: Family, inputs: Input[], wire: Wire): Promise<Answer> {
    let before = await snapshot(this.db);
    this.logs.take();
    let answer = await this.sender.send(wire);
    this.requests++;
    const exchanges: [Wire, Answer][] = [[wire, answer]];
    const cookies = new Map<string, string>();
    for (const pair of String([wire.headers?.cookie ?? ''].flat()[0]).split(/;\s*/)) {
      const eq = pair.indexOf('=');
      if (eq > 0) cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    for (let hop = 0; hop < (wire.follow ?? 0); hop++) {
      const location = answer.headers.location;
      if (answer.status < 300 || answer.status >= 400 || !location) break;
      const target = new URL(location, this.origin);
      if (target.origin !== this.origin) break;
      for (const line of answer.headers['set-cookie'] ?? []) {
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        if (eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      }
      const next: Wire = {
        method: 'GET',
        path: `${target.pathname}${target.search}`,
        headers: {
          accept: wire.headers?.accept,
          'accept-language': wire.headers?.['accept-language'],
          cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') || undefined,
        },
      };
      // The state check is about the request that refused: the hop before it may have saved state.
      before = await snapshot(this.db);
      answer = await this.sender.send(next);
      this.requests++;
      exchanges.push([next, answer]);
    }
    const logLines = this.logs.take();
    const seen = this.statuses.get(family.name) ?? new Map<number, number>();
    seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
    this.statuses.set(family.name, seen);
    for (const [sent, got] of exchanges) {
      const problems: string[] = [];
      if (got.status === 0) problems.push(`no answer (${got.error})`);
      else if (got.status >= 500) problems.push(`status ${got.status}`);
      const headerText = Object.entries(got.headers)
        .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`)
        .join('\n');
      for (const leak of leaksIn(`${headerText}\n\n${got.body}`, inputs)) problems.push(`leak: ${leak}`);
      if (got === answer && got.status >= 400 && got.status < 500) {
        const changed = changes(before, await snapshot(this.db), family.mayChange ?? {});
        if (changed.length) problems.push(`refused request changed state: ${changed.join(', ')}`);
      }
      for (const problem of problems) this.fail(family, inputs, sent, got, problem, logLines);
    }
    return answer;
  }

  private fail(
    family: Family,
    inputs: Input[],
    wire: Wire,
    answer: Answer,
    problem: string,
    logLines: string[],
  ) {
    const errors = logLines.map(errorOf);
    const failure: Failure = {
      family: family.name,
      method: wire.method,
      path: wire.path.length > 200 ? `${wire.path.slice(0, 200)}…` : wire.path,
      inputs: inputs.map((i) => ({ param: i.param, cls: i.value.cls, value: describeValue(i.value) })),
      status: answer.status,
      problem,
      body: answer.body.slice(0, 300),
      // A 5xx is named by the server's error log line; a leak or a state change by what it was.
      errorLine: /^(status|no answer)/.test(problem)
        ? (errors[0]?.message ?? bodyError(answer.body))
        : problem.replace(/: …".*$/s, '').slice(0, 160),
      logLines: logLines.slice(0, 3).map((l) => l.slice(0, 2000)),
      stack: errors[0]?.stack ?? [],
    };
    this.failures.push(failure);
    if (!this.collect) throw new Error(formatFailure(failure));
  }
}

function bodyError(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: string; error_description?: string };
    return `${parsed.error}: ${parsed.error_description}`;
  } catch {
    return body.replace(/\s+/g, ' ').slice(0, 120);
  }
}

export function formatFailure(f: Failure): string {
  return [
    `[${f.family}] ${f.method} ${f.path}`,
    ...f.inputs.map((i) => `  hostile ${i.param} (${i.cls}): ${i.value}`),
    `  -> ${f.status}: ${f.problem}`,
    `  body: ${JSON.stringify(f.body)}`,
    ...(f.logLines.length ? [`  server log: ${f.logLines[0]!.slice(0, 600)}`] : []),
  ].join('\n');
}

/** The distinct failures: family, parameter, value class, status and error line, with a count. */
export function groupedReport(failures: Failure[]): string {
  const groups = new Map<string, { failure: Failure; count: number; values: Set<string> }>();
  for (const f of failures) {
    const input = f.inputs[0]!;
    const key = [f.family, input.param, input.cls, f.status, f.errorLine].join(' | ');
    const group = groups.get(key) ?? { failure: f, count: 0, values: new Set<string>() };
    group.count++;
    if (group.values.size < 3) group.values.add(input.value);
    groups.set(key, group);
  }
  const lines = [`${failures.length} failures, ${groups.size} distinct:`];
  for (const [key, { failure, count, values }] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`- ${key}  (x${count})`);
    lines.push(`    e.g. ${failure.method} ${failure.path.slice(0, 120)}`);
    lines.push(`    values: ${[...values].join(' ; ')}`);
    if (failure.inputs.length > 1)
      lines.push(
        `    with: ${failure.inputs
          .slice(1)
          .map((i) => `${i.param}=${i.value}`)
          .join(', ')}`,
      );
    lines.push(`    problem: ${failure.problem.slice(0, 300)}`);
    lines.push(`    body: ${JSON.stringify(failure.body.slice(0, 200))}`);
    for (const s of failure.stack.slice(0, 4)) lines.push(`    | ${s.trim()}`);
  }
  return lines.join('\n');
}

export function statusTable(statuses: Map<string, Map<number, number>>): string {
  return [...statuses]
    .map(([family, seen]) => {
      const counts = [...seen].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`);
      return `  ${family}: ${counts.join(' ')}`;
    })
    .join('\n');
}

export function writeReport(failures: Failure[], file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(failures, null, 2));
}
