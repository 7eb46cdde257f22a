/**
 * The command tree: one group per domain, one file per verb-noun under commands/. Global options
 * (--json, --debug) are accepted anywhere on the line and shown in every command's help.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { ROOT_DIR } from '../db/database';
import * as apiCreate from './commands/api-create';
import * as apiDelete from './commands/api-delete';
import * as apiList from './commands/api-list';
import * as auditList from './commands/audit-list';
import * as auditTail from './commands/audit-tail';
import * as clientCreate from './commands/client-create';
import * as clientDelete from './commands/client-delete';
import * as clientList from './commands/client-list';
import * as clientRegistrationTokenCreate from './commands/client-registration-token-create';
import * as clientRotateSecret from './commands/client-rotate-secret';
import * as clientShow from './commands/client-show';
import * as dbMigrate from './commands/db-migrate';
import * as dbPurge from './commands/db-purge';
import * as dbSeed from './commands/db-seed';
import * as doctor from './commands/doctor';
import * as importDjango from './commands/import-django';
import * as keysList from './commands/keys-list';
import * as keysRetire from './commands/keys-retire';
import * as keysRotate from './commands/keys-rotate';
import * as roleList from './commands/role-list';
import * as serviceKeyCreate from './commands/service-key-create';
import * as serviceKeyList from './commands/service-key-list';
import * as serviceKeyRevoke from './commands/service-key-revoke';
import * as userCreate from './commands/user-create';
import * as userInvite from './commands/user-invite';
import * as userList from './commands/user-list';
import * as userMfa from './commands/user-mfa';
import * as userMfaReset from './commands/user-mfa-reset';
import * as userRoles from './commands/user-roles';
import * as userSetPassword from './commands/user-set-password';
import * as userStatus from './commands/user-status';
import * as webhookCreate from './commands/webhook-create';
import * as webhookDelete from './commands/webhook-delete';
import * as webhookList from './commands/webhook-list';
import * as webhookReplay from './commands/webhook-replay';

interface Registrar {
  register(parent: Command): void;
}

const GROUPS: [name: string, description: string, commands: Registrar[]][] = [
  [
    'client',
    'OAuth clients',
    [clientCreate, clientList, clientShow, clientDelete, clientRotateSecret, clientRegistrationTokenCreate],
  ],
  [
    'service-key',
    'X-Service-Key credentials of clients',
    [serviceKeyCreate, serviceKeyList, serviceKeyRevoke],
  ],
  [
    'user',
    'user accounts',
    [userCreate, userInvite, userList, userSetPassword, userRoles, userStatus, userMfa, userMfaReset],
  ],
  ['role', 'roles (the `roles` claim)', [roleList]],
  ['api', 'APIs (RFC 8707 resource servers) and their access tokens', [apiCreate, apiList, apiDelete]],
  ['keys', 'signing keys', [keysList, keysRotate, keysRetire]],
  ['db', 'the database', [dbMigrate, dbSeed, dbPurge]],
  ['import', 'imports from other identity providers', [importDjango]],
  [
    'webhook',
    'event webhooks: endpoints that receive audit events (Standard Webhooks)',
    [webhookCreate, webhookList, webhookDelete, webhookReplay],
  ],
  ['audit', 'the audit trail: who changed what, when and from where', [auditList, auditTail]],
];

const ENVIRONMENT_HELP = `
Database: the same environment and .env file as the server. DATABASE_URL selects PostgreSQL;
without it, the embedded database under DATA_DIR (default ./.data).

With PostgreSQL the CLI is safe to run while servers are running. The embedded database is
single-process: stop the server before running the CLI on its DATA_DIR.

Exit codes: 0 success, 1 error, 2 bad usage. Errors are one line; --debug adds the stack trace.

Examples:
  $ gatehouse client create --name "Billing service" --grant client_credentials
  $ gatehouse user create alice --email alice@example.com --role user
  $ gatehouse keys rotate
  $ gatehouse <command> --help`;

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT_DIR, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export function createProgram(): Command {
  const program = new Command('gatehouse')
    .description('Operate a Gatehouse OpenID Connect provider: clients, users, keys and the database.')
    .version(version(), '-V, --version')
    .option('--json', 'print results as JSON (for scripts)')
    .option('--debug', 'print stack traces of errors')
    .configureHelp({ showGlobalOptions: true })
    .showSuggestionAfterError()
    // Thrown, not exited: main maps usage errors to exit code 2.
    .exitOverride()
    .addHelpText('after', ENVIRONMENT_HELP);

  for (const [name, description, commands] of GROUPS) {
    // Created with .command() so that each inherits exitOverride and the help settings.
    const group = program.command(name).description(description);
    for (const command of commands) command.register(group);
    group.addHelpText(
      'after',
      `\nRun \`gatehouse ${name} <command> --help\` for a command's options and examples.`,
    );
  }
  // Top-level: one command over every domain.
  doctor.register(program);
  return program;
}
