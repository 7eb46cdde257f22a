// @ts-check
/**
 * The answer a refresh token's rotation gave (sealed), kept on the consumed token's row so that a
 * retry within REFRESH_TOKEN_REUSE_GRACE gets the same successor tokens on any node.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.alterTable('oidc_payloads', (t) => {
    t.text('successor');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('oidc_payloads', (t) => {
    t.dropColumn('successor');
  });
};
