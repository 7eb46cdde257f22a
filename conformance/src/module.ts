/**
 * A module of the battery: one test module of the OpenID conformance suite, named after it, in the
 * plan the suite runs it in.
 */
import type { ModuleContext } from './context';
import type { Plan } from './result';

export interface ConformanceModule {
  name: string;
  plan: Plan;
  /** What it checks, in one sentence (shown by --help and in the README). */
  summary: string;
  /** Waits on purpose (only with --slow). */
  slow?: boolean;
  run(ctx: ModuleContext): Promise<void>;
}

export function defineModule(module: ConformanceModule): ConformanceModule {
  return module;
}
