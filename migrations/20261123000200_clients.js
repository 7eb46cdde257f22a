// @ts-check
/**
 * Registered clients, read by oidc-provider through the Client model of the adapter. `metadata` holds
 * the client's registration metadata (RFC 7591 names) exactly as the provider validates it.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('clients', (t) => {
    t.string('client_id', 255).primary();
    t.jsonb('metadata').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('clients');
};
