/**
 * The demo data (seeds/demo.js) in production: its users, clients and service key have passwords and
 * secrets printed in the README (`admin` / `adminpass`), so anyone can sign in as the demo admin or
 * act as a demo client. The loader refuses SEED_DEMO in production, but data seeded before the switch
 * stays. Serious in production (disabled users and revoked keys excepted); expected elsewhere.
 */
import path from 'node:path';
import { SEEDS_DIR } from '../../db/database';
import { count, ok, serious, type CheckContext, type DatabaseCheck } from './finding';

interface DemoData {
  USERS: { id: string; username: string }[];
  CLIENTS: { client_id: string }[];
  SERVICE_KEYS: { id: string }[];
}

function demoData(): DemoData {
  // Required as services.ts requires the seed: it lives outside src/, beside the migrations.
  return (require(path.join(SEEDS_DIR, 'demo.js')) as { DEMO: DemoData }).DEMO;
}

async function demoPresent(ctx: CheckContext) {
  const demo = demoData();
  const names = demo.USERS.map((u) => u.username.toLowerCase());
  const userIds = demo.USERS.map((u) => u.id);
  const clientIds = demo.CLIENTS.map((c) => c.client_id);
  const keyIds = demo.SERVICE_KEYS.map((k) => k.id);
  const [accounts, clients, serviceKeys] = await Promise.all([
    ctx
      .db('accounts')
      .where((q) =>
        q.whereIn('id', userIds).orWhereRaw(`lower(username) in (${names.map(() => '?').join(', ')})`, names),
      )
      .andWhere('disabled', false)
      .orderBy('username')
      .pluck('username'),
    ctx.db('clients').whereIn('client_id', clientIds).orderBy('client_id').pluck('client_id'),
    ctx.db('service_keys').whereIn('id', keyIds).whereNull('revoked_at').pluck('id'),
  ]);
  const details = { accounts, clients, service_keys: serviceKeys };
  const total = accounts.length + clients.length + serviceKeys.length;
  if (!total) return [ok('demo.present', 'no demo users, clients or service keys', details)];
  const listed = [
    accounts.length ? `users ${accounts.join(', ')}` : '',
    clients.length ? `clients ${clients.join(', ')}` : '',
    serviceKeys.length ? count(serviceKeys.length, 'service key') : '',
  ]
    .filter(Boolean)
    .join('; ');
  if (ctx.config.env !== 'production')
    return [ok('demo.present', `demo data present (fine outside production): ${listed}`, details)];
  return [
    serious(
      'demo.present',
      `the demo data is in a production database, with passwords and secrets anyone can read in the README: ${listed} ` +
        '(disable the users: `gatehouse user disable NAME`; delete the clients: `gatehouse client delete ID`)',
      details,
    ),
  ];
}

export const demoChecks: DatabaseCheck[] = [{ name: 'demo.present', run: demoPresent }];
