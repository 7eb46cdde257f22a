// @ts-check
/**
 * Every client lists its scopes. A client without a list was allowed every scope the provider knows,
 * `admin` included; from now on it is allowed only what it lists. Clients registered before keep
 * what they could ask for, except `admin`, which a client must now be given explicitly.
 */

/** The scopes of the provider when this migration was written, without `admin`. */
const SCOPES_BUT_ADMIN = 'openid offline_access profile email phone address roles profile:write';

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.raw(
    `update clients set metadata = jsonb_set(metadata, '{scope}', to_jsonb(?::text)), updated_at = now()
     where coalesce(metadata->>'scope', '') = ''`,
    [SCOPES_BUT_ADMIN],
  );
};

exports.down = async function down() {
  // Forward-only: which clients had no list is not kept.
};
