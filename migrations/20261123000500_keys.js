// @ts-check
/**
 * Signing keys and cookie secrets, shared by every node. Private material is stored encrypted
 * (AES-256-GCM under SECRET_KEY). A key is `active` (signs and verifies), or `retiring`
 * (verifies only, until `retire_after`), or `retired` (gone from the JWKS).
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('signing_keys', (t) => {
    t.string('kid', 64).primary();
    t.string('alg', 16).notNullable();
    t.text('private_jwk_encrypted').notNullable();
    t.string('status', 16).notNullable().defaultTo('active');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('retire_after', { useTz: true });
    t.index(['status']);
  });
  await knex.schema.createTable('cookie_secrets', (t) => {
    t.increments('id').primary();
    t.text('secret_encrypted').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('cookie_secrets');
  await knex.schema.dropTable('signing_keys');
};
