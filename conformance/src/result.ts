/**
 * What a module reports, in the conformance suite's words: PASS, WARNING (conformant, but something
 * an operator should look at), FAIL, or SKIPPED (not applicable to this OP, with the reason the suite
 * gives). A module fails by throwing a Failure and skips by throwing a Skip; warnings accumulate.
 */
import type { SeenPage } from './person';

export type Status = 'PASS' | 'WARNING' | 'FAIL' | 'SKIPPED';

export type Plan =
  | 'config'
  | 'basic'
  | 'logout'
  | 'dynamic'
  | 'formpost'
  | 'implicit'
  | 'hybrid'
  | 'backchannel'
  | 'device'
  | 'par'
  | 'dpop'
  | 'resource'
  | 'token-exchange';

export interface ModuleResult {
  name: string;
  plan: Plan;
  status: Status;
  /** Why it is not a plain PASS: the failure, the warnings, or why it was skipped. */
  reason?: string;
  warnings: string[];
  durationMs: number;
  /** The pages the person was shown (screenshot modules of the suite). */
  pages: Omit<SeenPage, 'html' | 'text'>[];
}

export class Failure extends Error {
  readonly code = 'ERR_CONFORMANCE_FAILURE';
  constructor(message: string) {
    super(message);
    this.name = 'Failure';
  }
}

export class Skip extends Error {
  readonly code = 'ERR_CONFORMANCE_SKIP';
  constructor(message: string) {
    super(message);
    this.name = 'Skip';
  }
}

/** Throws a Failure with `message` unless `condition` holds. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Failure(message);
}

export function isFailure(err: unknown): err is Failure {
  return err instanceof Error && (err as { code?: string }).code === 'ERR_CONFORMANCE_FAILURE';
}

export function isSkip(err: unknown): err is Skip {
  return err instanceof Error && (err as { code?: string }).code === 'ERR_CONFORMANCE_SKIP';
}
