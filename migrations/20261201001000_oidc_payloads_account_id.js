// @ts-check
/**
 * The account a session, grant or token belongs to, as a column: a changed password, a reset or a
 * disabled account revokes all of them in one indexed delete instead of a scan of the payloads.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.alterTable('oidc_payloads', (t) => {
    t.string('account_id', 255);
  });
  await knex.raw(
    `update oidc_payloads set account_id = payload->>'accountId' where payload->>'accountId' is not null`,
  );
  await knex.raw(
    'create index oidc_payloads_account_id on oidc_payloads (account_id) where account_id is not null',
  );
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('oidc_payloads', (t) => {
    t.dropColumn('account_id');
  });
};
