// @ts-check
/**
 * Request counts of the rate limits (src/security/rate-limits.ts), shared by every node: one row per
 * limit and source (or hashed name), in the layout rate-limiter-flexible's RateLimiterPostgres reads
 * and writes (`expire` in milliseconds since the epoch). The purge deletes rows past `expire`.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('rate_limits', (t) => {
    t.string('key', 255).primary();
    t.integer('points').notNullable().defaultTo(0);
    t.bigInteger('expire');
    // The purge finds expired rows by this column.
    t.index(['expire']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('rate_limits');
};
