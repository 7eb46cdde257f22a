// @ts-check
/**
 * Where a node's CPU went, from a V8 .cpuprofile (`npm run bench -- --cpu-prof`): self time per part
 * (the library, Gatehouse, knex, pg, koa, Node's own code, garbage collection), and the busiest
 * functions.
 *
 *   node bench/profile-summary.js bench/results/profiles/CPU.*.cpuprofile [--top 25]
 */
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');

/** The part a function belongs to, by its script's path. */
function partOf(/** @type {string} */ url, /** @type {string} */ name) {
  if (!url) {
    if (name === '(garbage collector)') return 'gc';
    if (name === '(idle)') return 'idle';
    if (name === '(program)') return 'program (native, unattributed)';
    return 'native';
  }
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) {
    const rest = url.slice(modules + 'node_modules/'.length);
    const parts = rest.split('/');
    const pkg = parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? rest);
    if (pkg === 'oidc-provider') return 'oidc-provider';
    if (pkg === 'knex' || pkg === 'tarn') return 'knex';
    if (pkg === 'pg' || pkg.startsWith('pg-') || pkg === 'postgres-array' || pkg === 'postgres-date')
      return 'pg';
    if (pkg.startsWith('koa') || pkg.startsWith('@koa/')) return 'koa';
    if (pkg === 'jose') return 'jose';
    if (pkg.startsWith('@electric-sql/')) return 'pglite';
    return `other modules (${pkg})`;
  }
  if (url.startsWith('node:') || !url.includes('/')) return 'node';
  if (url.includes('/dist/') || url.includes('/src/')) return 'gatehouse';
  return 'other';
}

/**
 * @typedef {{ id: number; callFrame: { functionName: string; url: string; lineNumber: number };
 *   hitCount?: number; children?: number[] }} ProfileNode
 * @param {{ nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }} profile
 */
function summarise(profile) {
  /** @type {Map<number, ProfileNode>} */
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  /** @type {Map<number, number>} */
  const selfUs = new Map();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  /** @type {Map<string, number>} */
  const parts = new Map();
  /** @type {Map<string, number>} */
  const functions = new Map();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const part = partOf(url, functionName);
    parts.set(part, (parts.get(part) ?? 0) + us);
    if (part === 'idle') continue;
    busy += us;
    const where = url ? `${path.basename(url)}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where} [${part}]`;
    functions.set(key, (functions.get(key) ?? 0) + us);
  }
  return { busyUs: busy, totalUs: profile.endTime - profile.startTime, parts, functions };
}

function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '20' } },
  });
  if (!positionals.length) throw new Error('usage: node bench/profile-summary.js FILE.cpuprofile [--top N]');
  for (const file of positionals) {
    const { busyUs, totalUs, parts, functions } = summarise(JSON.parse(fs.readFileSync(file, 'utf8')));
    const pct = (/** @type {number} */ us) => `${((us / busyUs) * 100).toFixed(1).padStart(5)} %`;
    console.log(`${file}: busy ${(busyUs / 1e6).toFixed(1)} s of ${(totalUs / 1e6).toFixed(1)} s`);
    for (const [part, us] of [...parts].filter(([p]) => p !== 'idle').sort((a, b) => b[1] - a[1]))
      console.log(`  ${pct(us)}  ${part}`);
    console.log('  busiest functions (self time):');
    for (const [fn, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)))
      console.log(`  ${pct(us)}  ${fn}`);
  }
}

if (require.main === module) main();

module.exports = { summarise, partOf };
