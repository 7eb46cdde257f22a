// @ts-check
// The knex CLI's view of the database (`npm run db:migrate` = `npx knex migrate:latest`, `npm run
// db:seed` = `npx knex seed:run`): the server's own configuration code, compiled by `npm run build`.
// The environment (and .env) is read by the same loadConfig, and the database opened by the same
// openKnexConfig as a server and `gatehouse db migrate`: DATABASE_URL with the same pool and
// timeouts, else the embedded database under DATA_DIR with the same PGlite client. The embedded
// database has one owner process (src/db/embedded/open.ts): while a server runs on DATA_DIR this
// connects to its socket; otherwise it takes the lock and opens the files for this run only.
require('dotenv').config({ quiet: true });
const path = require('node:path');
const fs = require('node:fs');

const DIST = path.join(__dirname, 'dist');

/** @returns {Promise<import('knex').Knex.Config>} */
async function config() {
  const databaseModule = path.join(DIST, 'db', 'database.js');
  if (!fs.existsSync(databaseModule))
    throw new Error(
      'knexfile: the database configuration is the compiled server’s: run `npm run build` first',
    );
  /** @type {typeof import('./src/config')} */
  const { loadConfig } = require(path.join(DIST, 'config.js'));
  /** @type {typeof import('./src/db/database')} */
  const { openKnexConfig } = require(databaseModule);
  // A command's run: an embedded database is kept to this process, and released when it exits.
  const opened = await openKnexConfig(loadConfig(process.env).database, { role: 'command' });
  return opened.knex;
}

module.exports = config;
