// @ts-check
// The knex CLI's view of the database (`npx knex migrate:latest`, `npx knex seed:run`): the same
// choice the server makes, DATABASE_URL when set, else the embedded PGlite under DATA_DIR. The
// embedded database has one owner process (src/db/embedded/open.ts): while a server runs on DATA_DIR
// this connects to its socket; otherwise it takes the lock and opens the files for this run only.
require('dotenv').config({ quiet: true });
const path = require('node:path');
const fs = require('node:fs');

const common = {
  migrations: {
    directory: path.join(__dirname, 'migrations'),
    tableName: 'knex_migrations',
    loadExtensions: ['.js'],
  },
  seeds: { directory: path.join(__dirname, 'seeds'), loadExtensions: ['.js'] },
};

/** @returns {Promise<import('knex').Knex.Config>} */
async function config() {
  if (process.env.DATABASE_URL) {
    return { ...common, client: 'pg', connection: process.env.DATABASE_URL, pool: { min: 0, max: 2 } };
  }
  // The server's own opening of the embedded database (compiled by `npm run build`): the lock, the
  // owner's socket, and the private files (src/db/embedded/open.ts, src/db/data-dir.ts).
  const databaseModule = path.join(__dirname, 'dist', 'db', 'database.js');
  if (!fs.existsSync(databaseModule))
    throw new Error('knexfile: the embedded database needs the compiled server: run `npm run build` first');
  /** @type {typeof import('./src/db/embedded/open')} */
  const { openEmbedded } = require(path.join(__dirname, 'dist', 'db', 'embedded', 'open.js'));
  /** @type {typeof import('./src/db/database')} */
  const { embeddedKnexConfig } = require(databaseModule);
  const embedded = await openEmbedded(path.resolve(process.env.DATA_DIR || './.data'), { role: 'command' });
  // knex's own settings (migrations, seeds) come from the common part, as for PostgreSQL.
  return { ...embeddedKnexConfig(embedded), ...common };
}

module.exports = config;
