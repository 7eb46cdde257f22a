// @ts-check
// The knex CLI's view of the database (`npx knex migrate:latest`, `npx knex seed:run`): the same
// choice the server makes, DATABASE_URL when set, else the embedded PGlite under DATA_DIR.
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

/** @returns {import('knex').Knex.Config} */
function config() {
  if (process.env.DATABASE_URL) {
    return { ...common, client: 'pg', connection: process.env.DATABASE_URL, pool: { min: 0, max: 2 } };
  }
  // The server's own opening of the embedded database (compiled by `npm run build`): it refuses a
  // world-writable DATA_DIR before creating anything and keeps the files private (src/db/data-dir.ts).
  const dataDirModule = path.join(__dirname, 'dist', 'db', 'data-dir.js');
  if (!fs.existsSync(dataDirModule))
    throw new Error('knexfile: the embedded database needs the compiled server: run `npm run build` first');
  /** @type {typeof import('./src/db/data-dir')} */
  const { openEmbeddedDatabase } = require(dataDirModule);
  const pglite = openEmbeddedDatabase(path.resolve(process.env.DATA_DIR || './.data'));
  return { ...common, client: require('knex-pglite'), connection: /** @type {any} */ ({ pglite }) };
}

module.exports = config();
