// @ts-check
/**
 * Accounts, roles and the links between them. Usernames are unique without regard to case
 * (a unique index on lower(username)), and look-ups use that same expression.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('accounts', (t) => {
    t.uuid('id').primary();
    t.string('username', 150).notNullable();
    t.string('password_hash', 100).notNullable();
    t.string('email', 254);
    t.boolean('email_verified').notNullable().defaultTo(false);
    t.string('given_name', 150);
    t.string('family_name', 150);
    t.string('phone_number', 32);
    t.boolean('phone_number_verified').notNullable().defaultTo(false);
    t.string('locale', 35);
    t.jsonb('address');
    t.boolean('disabled').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('create unique index accounts_username_lower on accounts (lower(username))');

  await knex.schema.createTable('roles', (t) => {
    t.string('name', 64).primary();
    t.string('description', 255);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('account_roles', (t) => {
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.string('role_name', 64).notNullable().references('roles.name').onDelete('CASCADE');
    t.primary(['account_id', 'role_name']);
    t.index(['role_name']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('account_roles');
  await knex.schema.dropTable('roles');
  await knex.schema.dropTable('accounts');
};
