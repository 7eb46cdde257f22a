/**
 * Runs every check and gathers the report. The settings need only the configuration; the rest needs
 * a database that answered. A check that fails is itself a finding (its code with `.failed`): a
 * warning while migrations are pending (the table it reads may simply not be there yet), serious
 * otherwise, since the doctor then cannot tell whether that part is healthy. An empty database (no
 * migration ever run) has nothing to check beyond that. No check writes.
 */
import type { Config } from '../../config';
import { accountChecks } from './accounts';
import { clientChecks } from './clients';
import { connect, errorText } from './connection';
import { demoChecks } from './demo-data';
import {
  count,
  finding,
  serious,
  type CheckContext,
  type DatabaseCheck,
  type Finding,
  type Severity,
} from './finding';
import { keyChecks } from './keys';
import { checkMigrations, type MigrationState } from './migrations';
import { outboxChecks } from './outbox';
import { checkSettings } from './settings';
import { storageChecks } from './storage';

export interface Report {
  findings: Finding[];
  serious: number;
  warnings: number;
}

/** In the order they are reported. */
const DATABASE_CHECKS: DatabaseCheck[] = [
  ...storageChecks,
  ...keyChecks,
  ...demoChecks,
  ...clientChecks,
  ...accountChecks,
  ...outboxChecks,
];

export function summarize(findings: Finding[]): Report {
  const tally = (severity: Severity) => findings.filter((f) => f.severity === severity).length;
  return { findings, serious: tally('serious'), warnings: tally('warning') };
}

async function databaseFindings(config: Config): Promise<Finding[]> {
  const connected = await connect(config);
  if (!connected.db) return [connected.finding];
  const db = connected.db;
  try {
    let migrations: MigrationState;
    try {
      migrations = await checkMigrations(db);
    } catch (err) {
      return [
        connected.finding,
        serious('database.migrations.failed', `could not read the migrations: ${errorText(err)}`),
      ];
    }
    const findings = [connected.finding, ...migrations.findings];
    if (!migrations.applied) return findings;
    const ctx: CheckContext = { config, db, now: new Date() };
    for (const check of DATABASE_CHECKS) {
      try {
        findings.push(...(await check.run(ctx)));
      } catch (err) {
        const severity: Severity = migrations.pending.length ? 'warning' : 'serious';
        findings.push(
          finding(severity, `${check.name}.failed`, `could not check ${check.name}: ${errorText(err)}`, {
            pending_migrations: migrations.pending.length,
          }),
        );
      }
    }
    return findings;
  } finally {
    await db.destroy();
  }
}

/** The whole report for a configuration, or for the error that stopped it from loading. */
export async function runDoctor(config: Config | Error): Promise<Report> {
  if (config instanceof Error)
    return summarize([
      finding('serious', 'config.invalid', `${config.message}: servers refuse to start with it`),
    ]);
  return summarize([...checkSettings(config), ...(await databaseFindings(config))]);
}

const MARKERS: Record<Severity, string> = { ok: 'ok     ', warning: 'WARNING', serious: 'SERIOUS' };

/** One line per finding, then the totals. */
export function formatReport(report: Report): string {
  const lines = report.findings.map((f) => `${MARKERS[f.severity]}  ${f.check}: ${f.message}`);
  const total =
    report.serious || report.warnings
      ? `${report.serious} serious, ${count(report.warnings, 'warning')}`
      : 'nothing wrong found';
  return [...lines, '', total].join('\n');
}
