/**
 * `gatehouse doctor`: one command that tells an operator what is wrong: the database (reachable,
 * migrated, its tables and the expired rows waiting for purge), the signing keys, unsafe production
 * settings, demo data, clients with http redirect URIs, administrators without a second factor and
 * the outboxes. One line per finding; exit code 1 when any is serious. It never migrates or changes
 * anything (checks in ../doctor/).
 */
import type { Command } from 'commander';
import { ConfigError } from '../../config';
import { action, type CommandContext } from '../context';
import { refused } from '../errors';
import { count } from '../doctor/finding';
import { formatReport, runDoctor } from '../doctor/report';

function loadedConfig(ctx: CommandContext) {
  try {
    return ctx.config;
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
}

export async function doctor(ctx: CommandContext): Promise<void> {
  // Not ctx.services(): that migrates the database, and pending migrations are a finding here.
  const report = await runDoctor(loadedConfig(ctx));
  ctx.out.result(report, () => formatReport(report));
  // The report says what is wrong; the error line only carries the exit code.
  if (report.serious) throw refused(`doctor: ${count(report.serious, 'serious finding')}`);
}

const HELP = `
Checks, without changing anything:
  config.invalid, settings.*        the configuration (production settings: production only)
  database.reachable, .migrations   the database answers (within seconds) and is migrated
  database.tables, purge.*          table sizes; expired rows waiting for the purge
  keys.age, keys.secret_key         signing key age (rotation due after 90 days, serious after 365)
  demo.present                      the demo users and clients (serious in production)
  clients.http_redirect_uris        http redirect URIs off loopback (serious in production)
  accounts.admin_without_mfa        administrators without a second factor (serious in production)
  outbox.*                          webhook and back-channel logout deliveries waiting or dead

Exit code 1 when any finding is serious, 0 otherwise (warnings included).

Examples:
  $ gatehouse doctor
  $ gatehouse doctor --json | jq '.findings[] | select(.severity != "ok")'`;

export function register(parent: Command): void {
  parent
    .command('doctor')
    .description('check the database, keys, settings and outboxes; exit 1 when anything is serious')
    .addHelpText('after', HELP)
    .action(action(async (ctx) => doctor(ctx)));
}
