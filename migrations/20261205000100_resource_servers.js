// @ts-check
/**
 * The registry of APIs (resource servers): RFC 8707 resource indicators name them, and the access
 * tokens issued for one carry its identifier as the audience, in its format (RFC 9068 JWT or opaque)
 * and for its lifetime (src/clients/resource-servers.ts validates what goes in).
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('resource_servers', (t) => {
    // RFC 8707 §2: an absolute URI without a fragment; looked up exactly as registered.
    t.text('identifier').primary();
    t.text('name');
    // The API's own scope tokens (RFC 6749 §3.3), in registration order.
    t.jsonb('scopes').notNullable().defaultTo('[]');
    t.text('format').notNullable().defaultTo('jwt');
    t.integer('ttl_seconds').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(
    "alter table resource_servers add constraint resource_servers_format_check check (format in ('jwt', 'opaque'))",
  );
  await knex.raw(
    'alter table resource_servers add constraint resource_servers_ttl_check check (ttl_seconds between 60 and 86400)',
  );
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('resource_servers');
};
