// @ts-check
/**
 * Moving off Django (`gatehouse import django`):
 *
 * - `accounts.password_hash` becomes text and nullable. An imported hash is kept as Django stored it
 *   (`pbkdf2_sha256$…`, `argon2$argon2id$…`: longer than bcrypt's 60 characters) until the first
 *   successful sign-in replaces it with Gatehouse's bcrypt; an account whose Django password was
 *   unusable (`!…`, set_unusable_password) has none and can only reset it.
 * - `accounts.last_login_at`: Django's `last_login`, then every successful password sign-in.
 * - `clients.secret_hash`: a client secret that django-oauth-toolkit 2.x stored hashed with Django's
 *   make_password. It is verified in its own format at client authentication and then replaced by
 *   the secret in `metadata`, as the provider compares it; until then `metadata.client_secret` is a
 *   random value nobody knows.
 * - `import_links`: what an import created from which source row (source, kind, the row's key), so
 *   that a second run updates what the first created instead of duplicating it.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.raw('alter table accounts alter column password_hash type text');
  await knex.raw('alter table accounts alter column password_hash drop not null');
  await knex.schema.alterTable('accounts', (t) => {
    t.timestamp('last_login_at', { useTz: true });
  });
  await knex.schema.alterTable('clients', (t) => {
    t.text('secret_hash');
  });
  await knex.schema.createTable('import_links', (t) => {
    t.string('source', 64).notNullable();
    t.string('kind', 32).notNullable();
    t.string('source_key', 255).notNullable();
    t.string('target_id', 255).notNullable();
    t.timestamp('imported_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['source', 'kind', 'source_key']);
    t.index(['kind', 'target_id']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('import_links');
  await knex.schema.alterTable('clients', (t) => t.dropColumn('secret_hash'));
  await knex.schema.alterTable('accounts', (t) => t.dropColumn('last_login_at'));
};
