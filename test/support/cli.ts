/**
 * Runs the real CLI (dist/cli/main.js, compiled by the global setup) as a child process, as an
 * operator would, with only the environment the test gives (and PATH). `createCliDatabase` gives it a
 * test database, kept on disk when embedded (each CLI run is a new process).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from './database';
import { freePort, testEnv } from './server';

export const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliDatabase {
  database: TestDatabase;
  port: number;
  /** The environment a test server and the CLI share. */
  env: Record<string, string>;
  /** Runs `gatehouse …args` on this database. */
  run(args: string[], options?: RunOptions): Promise<CliResult>;
  /** Runs and parses stdout as JSON, failing with the CLI's stderr when it did not exit 0. */
  json<T = unknown>(args: string[], options?: RunOptions): Promise<T>;
  drop(): Promise<void>;
}

export interface RunOptions {
  env?: Record<string, string>;
  input?: string;
  timeoutMs?: number;
}

// A directory without a .env, so that a developer's .env cannot point the CLI elsewhere.
const CWD = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cli-cwd-'));

export function runCli(
  args: string[],
  env: Record<string, string>,
  options: RunOptions = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: CWD,
      // Only what the test gives: nothing of jest's own environment (NODE_OPTIONS, DATABASE_URL).
      env: { PATH: process.env.PATH ?? '', ...env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 45000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

export async function createCliDatabase(extra: Record<string, string> = {}): Promise<CliDatabase> {
  const database = await createTestDatabase({ persistent: true });
  const port = await freePort();
  const env = testEnv(port, database, extra);
  const run = (args: string[], options?: RunOptions) => runCli(args, env, options);
  return {
    database,
    port,
    env,
    run,
    async json<T>(args: string[], options?: RunOptions): Promise<T> {
      const result = await run([...args, '--json'], options);
      if (result.code !== 0)
        throw new Error(`gatehouse ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
      return JSON.parse(result.stdout) as T;
    },
    drop: () => database.drop(),
  };
}

/** An error as the CLI prints it: one line on stderr, no stack. */
export function expectOneLineError(result: CliResult, code: number, message: string | RegExp): void {
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code, stdout: '' });
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}
