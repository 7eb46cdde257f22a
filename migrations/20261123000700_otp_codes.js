// @ts-check
/**
 * One-time sign-in codes, one row per lower-cased username. A row also exists for a name that no
 * enabled account has (with no code): the resend interval then applies to every name alike, so a
 * 429 never tells whether an account exists. Only a keyed hash of a code is stored; `code_hash` is
 * cleared when the code is used or has had too many wrong tries.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('otp_codes', (t) => {
    t.string('username', 150).primary();
    t.uuid('account_id').references('accounts.id').onDelete('CASCADE');
    t.string('code_hash', 64);
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('requested_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    // Deleting an account deletes its rows; the purge finds stale rows by request time.
    t.index(['account_id']);
    t.index(['requested_at']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('otp_codes');
};
