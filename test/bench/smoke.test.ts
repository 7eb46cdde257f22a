/**
 * `npm run bench` must not rot: the benchmark runs in its smoke mode (two scenarios, one-second runs)
 * against the bare library and Gatehouse on the test database (PGlite, or a fresh PostgreSQL database
 * on the server of DATABASE_URL), and writes a results file of the documented shape with every
 * response 2xx.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { usingPostgres } from '../support/database';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');

interface Row {
  target: string;
  scenario: string;
  connections: number;
  requests: number;
  rps: number;
  latencyMs: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}

describe('npm run bench -- --smoke', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-test-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('measures both servers and writes the results file', async () => {
    const out = path.join(dir, 'results.json');
    const gatehouse = usingPostgres ? 'pg' : 'pglite';
    const args = [
      path.join(ROOT, 'bench', 'run.js'),
      '--smoke',
      '--targets',
      `bare,${gatehouse}`,
      '--out',
      out,
    ];
    if (usingPostgres) args.push('--database-url', process.env.DATABASE_URL!);
    const { stdout } = await run(process.execPath, args, { cwd: ROOT, timeout: 90_000 });

    expect(stdout).toContain('client_credentials');
    const report = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(report).toMatchObject({
      version: 1,
      mode: 'smoke',
      machine: { cores: os.cpus().length, node: process.version },
      bcrypt: { cost: 10 },
    });
    if (usingPostgres) expect(report.machine.postgres).toMatch(/^\d+/);
    expect(report.bcrypt.comparesPerSecond).toBeGreaterThan(0);

    const rows = report.results as Row[];
    expect(rows.map((r) => `${r.target} ${r.scenario} ${r.connections}`)).toEqual([
      'bare client_credentials 16',
      'bare introspection 16',
      `${gatehouse} client_credentials 16`,
      `${gatehouse} introspection 16`,
    ]);
    for (const row of rows) {
      expect(row.requests).toBeGreaterThan(0);
      expect(row.rps).toBeGreaterThan(0);
      expect(row.latencyMs.p99).toBeGreaterThanOrEqual(row.latencyMs.p50);
      expect({ row: `${row.target} ${row.scenario}`, non2xx: row.non2xx, errors: row.errors }).toEqual({
        row: `${row.target} ${row.scenario}`,
        non2xx: 0,
        errors: 0,
      });
    }

    expect(report.soak).toMatchObject({ target: gatehouse, non2xx: 0, errors: 0 });
    expect(report.soak.rssBytes.afterWarmup).toBeGreaterThan(0);
    if (usingPostgres) expect(report.purge).toMatchObject({ expiredAfter: 0 });
    else expect(report.purge).toBeNull();
    expect(report.targets.map((t: { name: string }) => t.name)).toContain('client_credentials rps / bare');
  }, 120_000);
});
