/**
 * Runs the selected plans' modules one after another against one OP and collects their results.
 * Modules share only the discovery document and JWKS; each signs in with its own person.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ModuleContext, Shared, describeError, type BatteryOptions } from './context';
import type { ConformanceModule } from './module';
import type { SeenPage } from './person';
import { MODULES, PLANS } from './plans';

export { MODULES, PLANS };
import { isFailure, isSkip, type ModuleResult, type Status } from './result';

export interface BatteryReport {
  issuer: string;
  plans: string[];
  startedAt: string;
  durationMs: number;
  summary: Record<Status, number>;
  modules: ModuleResult[];
}

export interface BatteryHooks {
  onStart?(module: ConformanceModule, index: number, total: number): void;
  onResult?(result: ModuleResult, index: number, total: number): void;
  /** A directory to write the HTML of every page the person saw, per module. */
  recordDir?: string;
}

/** The modules a run executes, in order. */
export function selectModules(options: BatteryOptions): ConformanceModule[] {
  return MODULES.filter(
    (m) => options.plans.includes(m.plan) && (!options.only?.length || options.only.includes(m.name)),
  );
}

async function runModule(
  shared: Shared,
  module: ConformanceModule,
): Promise<{ result: ModuleResult; seen: SeenPage[] }> {
  const ctx = new ModuleContext(shared);
  const started = performance.now();
  let status: Status = 'PASS';
  let reason: string | undefined;
  if (module.slow && !shared.options.slow) {
    status = 'SKIPPED';
    reason = 'waits 30 seconds: run with --slow';
  } else {
    try {
      await module.run(ctx);
      if (ctx.warnings.length) {
        status = 'WARNING';
        reason = ctx.warnings.join('; ');
      }
    } catch (err) {
      if (isSkip(err)) {
        status = 'SKIPPED';
        reason = err.message;
      } else {
        status = 'FAIL';
        reason = isFailure(err) ? err.message : `unexpected error: ${describeError(err)}`;
      }
    } finally {
      await ctx.cleanup();
    }
  }
  const result: ModuleResult = {
    name: module.name,
    plan: module.plan,
    status,
    ...(reason ? { reason } : {}),
    warnings: ctx.warnings,
    durationMs: Math.round(performance.now() - started),
    pages: ctx.people.flatMap((p) => p.summary()),
  };
  return { result, seen: ctx.people.flatMap((p) => p.seen) };
}

function record(dir: string, result: ModuleResult, seen: SeenPage[]): void {
  if (!seen.length) return;
  const target = path.join(dir, result.name);
  fs.mkdirSync(target, { recursive: true });
  seen.forEach((page, i) =>
    fs.writeFileSync(path.join(target, `${String(i + 1).padStart(2, '0')}.html`), page.html),
  );
}

export async function runBattery(options: BatteryOptions, hooks: BatteryHooks = {}): Promise<BatteryReport> {
  const shared = new Shared(options);
  const modules = selectModules(options);
  const startedAt = new Date();
  const summary: Record<Status, number> = { PASS: 0, WARNING: 0, FAIL: 0, SKIPPED: 0 };
  const results: ModuleResult[] = [];
  for (const [index, module] of modules.entries()) {
    hooks.onStart?.(module, index, modules.length);
    const { result, seen } = await runModule(shared, module);
    if (hooks.recordDir) record(hooks.recordDir, result, seen);
    summary[result.status] += 1;
    results.push(result);
    hooks.onResult?.(result, index, modules.length);
  }
  await shared.cleanup();
  return {
    issuer: options.issuer,
    plans: options.plans,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    summary,
    modules: results,
  };
}

/** One line per module: `PASS name`, `WARNING name: reason`, `FAIL name: reason`, `SKIPPED name: why`. */
export function formatResult(result: ModuleResult): string {
  const status = result.status.padEnd(7);
  return `${status} ${result.name}${result.reason ? `: ${result.reason}` : ''}`;
}

export function formatSummary(report: BatteryReport): string {
  const { PASS, WARNING, FAIL, SKIPPED } = report.summary;
  const seconds = (report.durationMs / 1000).toFixed(1);
  return `${report.modules.length} modules against ${report.issuer} in ${seconds} s: ${PASS} passed, ${WARNING} warnings, ${FAIL} failed, ${SKIPPED} skipped`;
}
