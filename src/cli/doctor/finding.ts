/**
 * What `gatehouse doctor` reports: findings, each with a stable code (scripts and monitoring switch
 * on it, as callers of jose switch on an error's `code`), a severity and one line for the operator.
 * `serious` means something is wrong now or unsafe (exit 1); `warning` means worth a look.
 */
import type { Config } from '../../config';
import type { Database } from '../../db/database';

export type Severity = 'ok' | 'warning' | 'serious';

export interface Finding {
  check: string;
  severity: Severity;
  message: string;
  details?: Record<string, unknown>;
}

/** What a check of the database reads: the configuration and a database that answered. */
export interface CheckContext {
  config: Config;
  db: Database;
  now: Date;
}

/** A group of checks of the database; the settings checks need no database (settings.ts). */
export interface DatabaseCheck {
  /** The code of the finding that says the check itself could not run. */
  name: string;
  run(ctx: CheckContext): Promise<Finding[]>;
}

export const finding = (
  severity: Severity,
  check: string,
  message: string,
  details?: Record<string, unknown>,
): Finding => (details ? { check, severity, message, details } : { check, severity, message });

export const ok = (check: string, message: string, details?: Record<string, unknown>) =>
  finding('ok', check, message, details);
export const warning = (check: string, message: string, details?: Record<string, unknown>) =>
  finding('warning', check, message, details);
export const serious = (check: string, message: string, details?: Record<string, unknown>) =>
  finding('serious', check, message, details);

/** `serious` in production, `warning` elsewhere: unsafe for real users, normal in development. */
export const inProduction = (config: Config): Severity =>
  config.env === 'production' ? 'serious' : 'warning';

/** `1 client`, `2 clients`; `plural` for the irregular ones (`deliveries`). */
export const count = (n: number, singular: string, plural = `${singular}s`): string =>
  `${n} ${n === 1 ? singular : plural}`;

const DAY_MS = 86_400_000;

/** A duration for a person: `3 min`, `5 h`, `12 days`. */
export function formatAge(ms: number): string {
  if (ms < 3_600_000) return `${Math.max(0, Math.round(ms / 60_000))} min`;
  if (ms < DAY_MS) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.floor(ms / DAY_MS)} days`;
}

export const ageInDays = (since: Date, now: Date): number =>
  Math.floor((now.getTime() - since.getTime()) / DAY_MS);
