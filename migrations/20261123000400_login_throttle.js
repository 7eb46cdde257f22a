// @ts-check
/**
 * Failed sign-in counting per lower-cased username, whether or not an account has that name, so that
 * a locked name and an unknown name answer alike (no user enumeration through the lockout).
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('login_throttle', (t) => {
    t.string('username', 150).primary();
    t.integer('failures').notNullable().defaultTo(0);
    t.timestamp('window_started_at', { useTz: true }).notNullable();
    t.timestamp('locked_until', { useTz: true });
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('login_throttle');
};
