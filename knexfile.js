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
  const dir = path.join(path.resolve(process.env.DATA_DIR || './.data'), 'pgdata');
  fs.mkdirSync(dir, { recursive: true });
  return { ...common, client: require('knex-pglite'), connection: /** @type {any} */ ({ filename: dir }) };
}

module.exports = config();
