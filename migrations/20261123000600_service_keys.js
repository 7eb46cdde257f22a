// @ts-check
/**
 * X-Service-Key credentials, each belonging to one client. Keys are 256-bit random strings, so a
 * SHA-256 of the key is enough to store (a slow password hash would cap the routes at bcrypt's rate).
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('service_keys', (t) => {
    t.uuid('id').primary();
    t.string('client_id', 255).notNullable().references('clients.client_id').onDelete('CASCADE');
    t.string('key_hash', 64).notNullable().unique();
    t.string('prefix', 16).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('revoked_at', { useTz: true });
    t.timestamp('last_used_at', { useTz: true });
    t.index(['client_id']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('service_keys');
};
