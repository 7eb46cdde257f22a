// @ts-check
/**
 * What a run means: the ratios against the bare library and the bcrypt bound, the targets
 * (issue 8) checked one by one, and the table printed at the end.
 */

/**
 * @typedef {import('./load').Figures} Figures
 * @typedef {{ target: string; label: string; database: string | null; processes: number;
 *   scenario: string; connections: number; cpu?: import('./cpu').CpuFigures | null;
 *   loadAverage?: { before: number; after: number } } & Figures} Result
 * @typedef {{ name: string; value: number | null; limit: string; holds: boolean | null; note: string }} Check
 */

/** A figure counts only when every response was 2xx and nothing failed. */
function counts(/** @type {Result | undefined} */ r) {
  return Boolean(r && r.requests > 0 && r.non2xx === 0 && r.errors === 0);
}

/**
 * @param {Result[]} results @param {string} target @param {string} scenario @param {number} c
 */
function find(results, target, scenario, c) {
  return results.find((r) => r.target === target && r.scenario === scenario && r.connections === c);
}

const round2 = (/** @type {number} */ v) => Math.round(v * 100) / 100;

/**
 * The performance targets (PostgreSQL, one process, c=16, against the bare library in the same run;
 * the embedded database's client_credentials too).
 * @param {Result[]} results
 * @param {{ bcryptPerSecond: number | null; soak: { growth: number | null } | null;
 *   purge: { expiredAfter: number } | null; target?: string }} extra
 * @returns {Check[]}
 */
function checkTargets(results, extra) {
  const gh = extra.target ?? 'pg';
  /** @type {Check[]} */
  const checks = [];
  /**
   * @param {string} name @param {Result | undefined} a @param {Result | undefined} b
   * @param {(a: Result, b: Result) => number} ratio @param {(v: number) => boolean} ok @param {string} limit
   */
  const compare = (name, a, b, ratio, ok, limit) => {
    if (!a || !b)
      return checks.push({ name, value: null, limit, holds: null, note: 'not measured in this run' });
    if (!counts(a) || !counts(b))
      return checks.push({
        name,
        value: null,
        limit,
        holds: false,
        note: 'non-2xx or errors: the figure does not count',
      });
    const value = round2(ratio(a, b));
    return checks.push({ name, value, limit, holds: ok(value), note: '' });
  };
  const rps = (/** @type {Result} */ a, /** @type {Result} */ b) => a.rps / b.rps;
  const p99 = (/** @type {Result} */ a, /** @type {Result} */ b) => a.latencyMs.p99 / b.latencyMs.p99;
  const atLeast = (/** @type {number} */ limit) => ({
    ok: (/** @type {number} */ v) => v >= limit,
    limit: `>= ${limit}`,
  });
  /** @type {Array<[string, string, string, string, { ok: (v: number) => boolean; limit: string }]>} */
  const ratios = [
    ['client_credentials rps / bare', gh, 'client_credentials', 'client_credentials', atLeast(0.6)],
    [
      'client_credentials JWT rps / bare JWT',
      gh,
      'client_credentials_jwt',
      'client_credentials_jwt',
      atLeast(0.9),
    ],
    ['introspection rps / bare introspection', gh, 'introspection', 'introspection', atLeast(0.6)],
    ['refresh_token rps / bare refresh_token', gh, 'refresh_token', 'refresh_token', atLeast(0.5)],
    ['/api/profile rps / bare introspection', gh, 'profile', 'introspection', atLeast(0.5)],
    [
      'embedded client_credentials rps / bare',
      'pglite',
      'client_credentials',
      'client_credentials',
      atLeast(0.35),
    ],
  ];
  for (const [name, target, scenario, bare, { ok, limit }] of ratios)
    compare(name, find(results, target, scenario, 16), find(results, 'bare', bare, 16), rps, ok, limit);
  for (const scenario of ['password', 'authorization_code']) {
    const name = `${scenario === 'password' ? 'password grant' : 'authorization-code login'} rps / bcrypt bound`;
    const row = find(results, gh, scenario, 16);
    if (!row || extra.bcryptPerSecond === null)
      checks.push({ name, value: null, limit: '>= 0.95', holds: null, note: 'not measured in this run' });
    else if (!counts(row))
      checks.push({ name, value: null, limit: '>= 0.95', holds: false, note: 'non-2xx or errors' });
    else {
      const value = round2(row.rps / extra.bcryptPerSecond);
      checks.push({ name, value, limit: '>= 0.95', holds: value >= 0.95, note: '' });
    }
  }
  for (const scenario of [
    'client_credentials',
    'client_credentials_jwt',
    'password',
    'refresh_token',
    'introspection',
  ])
    compare(
      `p99 ${scenario} / bare`,
      find(results, gh, scenario, 16),
      find(results, 'bare', scenario, 16),
      p99,
      (v) => v <= 2,
      '<= 2',
    );
  compare(
    'p99 /api/profile / bare introspection',
    find(results, gh, 'profile', 16),
    find(results, 'bare', 'introspection', 16),
    p99,
    (v) => v <= 2,
    '<= 2',
  );
  const growth = extra.soak?.growth ?? null;
  checks.push({
    name: 'RSS growth over the soak',
    value: growth === null ? null : round2(growth),
    limit: '<= 0.10',
    holds: growth === null ? null : growth <= 0.1,
    note: growth === null ? 'not measured in this run' : '',
  });
  checks.push({
    name: 'expired rows left after a purge',
    value: extra.purge ? extra.purge.expiredAfter : null,
    limit: '= 0',
    holds: extra.purge ? extra.purge.expiredAfter === 0 : null,
    note: extra.purge ? '' : 'not measured (PostgreSQL only)',
  });
  return checks;
}

/** @param {string[][]} rows @param {number} [left] how many columns are text (left-aligned) */
function table(rows, left = 3) {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (/** @type {string[]} */ r) =>
    r.map((cell, i) => (i < left ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  return [line(rows[0] ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join(
    '\n',
  );
}

/** @param {number} v */
function num(v) {
  return v >= 100 ? String(Math.round(v)) : v.toFixed(1);
}

/** CPU per request: the server's and PostgreSQL's (for a target on PostgreSQL), e.g. `0.41 + 0.22`. */
function cpuCell(/** @type {Result['cpu']} */ cpu) {
  const per = cpu?.perRequestMs;
  if (!per) return '';
  return per.postgres === null
    ? per.server.toFixed(2)
    : `${per.server.toFixed(2)} + ${per.postgres.toFixed(2)}`;
}

/**
 * The results table: one row per target, scenario and concurrency, with the ratio to the bare
 * library's same scenario (its introspection for /api/profile) or, for logins and the password
 * grant, to the bcrypt bound.
 * @param {Result[]} results @param {number | null} bcryptPerSecond
 */
function resultsTable(results, bcryptPerSecond) {
  /** @type {string[][]} */
  const rows = [
    [
      'target',
      'scenario',
      'c',
      'req/s',
      'p50 ms',
      'p99 ms',
      'non-2xx',
      'vs bare',
      'vs bcrypt',
      'cpu ms/req (server + pg)',
    ],
  ];
  for (const r of results) {
    const bare =
      r.target === 'bare'
        ? undefined
        : find(results, 'bare', r.scenario === 'profile' ? 'introspection' : r.scenario, r.connections);
    const bcryptBound = (r.scenario === 'password' || r.scenario === 'authorization_code') && bcryptPerSecond;
    rows.push([
      r.label,
      r.scenario === 'profile'
        ? 'GET /api/profile'
        : r.scenario === 'client_credentials_jwt'
          ? 'client_credentials (JWT)'
          : r.scenario,
      String(r.connections),
      num(r.rps),
      num(r.latencyMs.p50),
      num(r.latencyMs.p99),
      r.requests ? String(r.non2xx + r.errors) : 'no responses',
      bare && bare.rps ? `${(r.rps / bare.rps).toFixed(2)}x` : '',
      bcryptBound ? `${(r.rps / bcryptPerSecond).toFixed(2)}x` : '',
      cpuCell(r.cpu),
    ]);
  }
  return table(rows);
}

/** @param {Check[]} checks @param {string} where */
function checksTable(checks, where) {
  /** @type {string[][]} */
  const rows = [[`target (${where}, c=16)`, 'value', 'limit', 'holds']];
  for (const c of checks)
    rows.push([
      c.name,
      c.value === null ? '-' : String(c.value),
      c.limit,
      c.holds === null ? `- ${c.note}` : c.holds ? 'yes' : `NO ${c.note}`.trim(),
    ]);
  return table(rows, 4);
}

module.exports = { checkTargets, resultsTable, checksTable, counts };
