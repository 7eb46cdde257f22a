// @ts-check
/**
 * Second factors of an account: an authenticator app (TOTP, RFC 6238), recovery codes, and passkeys
 * (WebAuthn credentials), plus the WebAuthn challenges a ceremony in progress waits on.
 *
 * - `mfa_totp`: at most one per account. The secret is sealed under SECRET_KEY (AES-256-GCM, as the
 *   signing keys are). `pending` until a first code confirms it; `last_step` is the last accepted
 *   time step, so a code is accepted once (compare-and-set on it).
 * - `mfa_recovery_codes`: keyed hashes only (HMAC-SHA256 under a key derived from SECRET_KEY), each
 *   spent by one conditional update of `used_at`.
 * - `webauthn_credentials`: the credential id (base64url) and its COSE public key; `counter` is the
 *   signature counter (WebAuthn §6.1.1), raised only forwards.
 * - `webauthn_challenges`: single use (deleted as they are taken), short-lived, bound to what they
 *   were issued for (`purpose`, `subject`: an interaction uid or an account id).
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('mfa_totp', (t) => {
    t.uuid('account_id').primary().references('accounts.id').onDelete('CASCADE');
    t.text('secret_sealed').notNullable();
    t.string('status', 16).notNullable();
    t.bigInteger('last_step');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('activated_at', { useTz: true });
  });
  await knex.schema.createTable('mfa_recovery_codes', (t) => {
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.string('code_hash', 64).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('used_at', { useTz: true });
    t.primary(['account_id', 'code_hash']);
  });
  await knex.schema.createTable('webauthn_credentials', (t) => {
    t.string('id', 1024).primary();
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('public_key').notNullable();
    t.bigInteger('counter').notNullable().defaultTo(0);
    t.jsonb('transports').notNullable().defaultTo('[]');
    t.string('device_type', 32).notNullable();
    t.boolean('backed_up').notNullable().defaultTo(false);
    t.string('name', 100).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true });
    t.index(['account_id']);
  });
  await knex.schema.createTable('webauthn_challenges', (t) => {
    t.string('id', 64).primary();
    t.string('purpose', 32).notNullable();
    t.string('subject', 200).notNullable();
    t.string('challenge', 200).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['expires_at']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('webauthn_challenges');
  await knex.schema.dropTable('webauthn_credentials');
  await knex.schema.dropTable('mfa_recovery_codes');
  await knex.schema.dropTable('mfa_totp');
};
