// @ts-check
/**
 * The account's self-service: remembered consent, what the session list shows, and the single-use
 * links of password reset, e-mail verification, sign-up and invitations.
 *
 * - `consents`: what an account allowed a client (OIDC scopes, claims, resource scopes per indicator)
 *   and when, so that it outlives the browser session and the Grant (oidc-provider's Grants expire
 *   with their tokens); revoking one removes the row. Deleted with the account or the client.
 * - `session_activity`: per provider session (its stable `uid`), the user agent and when it was last
 *   seen, for the session list; the session itself stays in `oidc_payloads`. The purge deletes the
 *   rows whose session is gone.
 * - `action_tokens`: single-use links. Only a keyed hash of the token is stored (HMAC-SHA256 under
 *   SECRET_KEY); `purpose` says what it may be spent on, `email` the address it was sent to (a
 *   verification proves that address and no other), `data` what a sign-up or an invitation carries.
 *   Spent by one conditional update of `used_at`.
 * - accounts are found by e-mail address (a password reset by `{ "email" }`): an index on lower(email).
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('consents', (t) => {
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.string('client_id', 255).notNullable().references('clients.client_id').onDelete('CASCADE');
    t.jsonb('scopes').notNullable().defaultTo('[]');
    t.jsonb('claims').notNullable().defaultTo('[]');
    t.jsonb('resource_scopes').notNullable().defaultTo('{}');
    t.timestamp('granted_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['account_id', 'client_id']);
  });
  await knex.schema.createTable('session_activity', (t) => {
    t.string('session_uid', 255).primary();
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.string('user_agent', 512);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['account_id']);
  });
  await knex.schema.createTable('action_tokens', (t) => {
    t.string('token_hash', 64).primary();
    t.string('purpose', 32).notNullable();
    t.uuid('account_id').references('accounts.id').onDelete('CASCADE');
    t.string('email', 254);
    t.jsonb('data');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    t.index(['account_id', 'purpose']);
    t.index(['expires_at']);
  });
  await knex.raw('create index accounts_email_lower on accounts (lower(email)) where email is not null');
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.raw('drop index accounts_email_lower');
  await knex.schema.dropTable('action_tokens');
  await knex.schema.dropTable('session_activity');
  await knex.schema.dropTable('consents');
};
