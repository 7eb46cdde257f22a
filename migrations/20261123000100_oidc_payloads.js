// @ts-check
/**
 * Every oidc-provider model but Client lives in one table keyed by (model, id). The payload is jsonb
 * because its fields grow between library versions; the columns beside it exist only for the look-ups
 * the adapter makes (grant id, session uid, device user code) and for purging expired rows.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('oidc_payloads', (t) => {
    t.string('model', 64).notNullable();
    t.string('id', 255).notNullable();
    t.jsonb('payload').notNullable();
    t.string('grant_id', 255);
    t.string('uid', 255);
    t.string('user_code', 255);
    t.timestamp('consumed_at', { useTz: true });
    t.timestamp('expires_at', { useTz: true });
    t.primary(['model', 'id']);
  });
  // Partial indexes: only the rows that carry the value are indexed.
  await knex.raw(
    'create index oidc_payloads_grant_id on oidc_payloads (model, grant_id) where grant_id is not null',
  );
  await knex.raw('create unique index oidc_payloads_uid on oidc_payloads (model, uid) where uid is not null');
  await knex.raw(
    'create unique index oidc_payloads_user_code on oidc_payloads (model, user_code) where user_code is not null',
  );
  await knex.raw(
    'create index oidc_payloads_expires_at on oidc_payloads (expires_at) where expires_at is not null',
  );
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('oidc_payloads');
};
