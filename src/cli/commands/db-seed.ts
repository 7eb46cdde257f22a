/**
 * `gatehouse db seed`: adds whatever of the demo data (README "Demo data") is missing. Refused with
 * NODE_ENV=production: the demo users and clients have published passwords and secrets.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { SEEDS_DIR, type Database } from '../../db/database';
import { action, type CommandContext } from '../context';
import { refused } from '../errors';
import { fields } from '../output';

type SeedDemo = (db: Database, options: { bcryptCost: number }) => Promise<void>;

export async function dbSeed(ctx: CommandContext): Promise<void> {
  if (ctx.config.env === 'production')
    throw refused('db seed: the demo data is refused with NODE_ENV=production');
  const services = await ctx.services();
  const { accounts, clients } = services;
  const before = { accounts: await accounts.count(), clients: await clients.count() };
  const { seedDemo } = require(path.join(SEEDS_DIR, 'demo.js')) as { seedDemo: SeedDemo };
  await seedDemo(services.db, { bcryptCost: services.config.bcryptCost });
  const added = {
    accounts: (await accounts.count()) - before.accounts,
    clients: (await clients.count()) - before.clients,
  };
  ctx.out.result(
    { added },
    () =>
      fields([
        ['demo users added', String(added.accounts)],
        ['demo clients added', String(added.clients)],
      ]) + (added.accounts || added.clients ? '' : '\n(the demo data was already there)'),
  );
}

export function register(parent: Command): void {
  parent
    .command('seed')
    .description('add the demo users, clients and service key (refused with NODE_ENV=production)')
    .addHelpText('after', '\nExamples:\n  $ gatehouse db seed')
    .action(action(async (ctx) => dbSeed(ctx)));
}
