// @ts-check
/**
 * OpenID Connect Back-Channel Logout 1.0: the logout tokens still to be delivered, and what became of
 * those that were.
 *
 * - `backchannel_logout_outbox`: one row per client of a session that ended (RP-initiated logout, a
 *   session signed out on the account page or API, an account's sessions revoked), written in the
 *   step that ends the session. It names the client, the subject and the session's `sid` for that
 *   client; never the token itself, which the delivering node signs at each attempt. Any node's job
 *   claims due rows (`next_attempt_at`) with `for update skip locked`, so a restart or a second node
 *   loses nothing and no row is sent by two nodes at once. A row leaves the table when it is
 *   delivered or has failed its last attempt.
 * - `backchannel_logout_counts`: per client, how many deliveries succeeded, failed after every retry,
 *   and how many attempts failed and were tried again. Pending ones are the outbox's rows.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('backchannel_logout_outbox', (t) => {
    t.bigIncrements('id').primary();
    t.string('client_id', 255).notNullable();
    t.string('account_id', 255).notNullable();
    t.string('sid', 255);
    // Attempts started; the job compares it when it settles a row (a row reclaimed elsewhere after
    // its lease ran out is settled by the node holding the newer attempt only).
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.string('last_error', 255);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // The job's claim: the due rows, oldest first.
    t.index(['next_attempt_at']);
    // The counts: pending rows per client.
    t.index(['client_id']);
  });
  await knex.schema.createTable('backchannel_logout_counts', (t) => {
    t.string('client_id', 255).primary();
    t.bigInteger('delivered').notNullable().defaultTo(0);
    t.bigInteger('failed').notNullable().defaultTo(0);
    t.bigInteger('retried').notNullable().defaultTo(0);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('backchannel_logout_counts');
  await knex.schema.dropTable('backchannel_logout_outbox');
};
