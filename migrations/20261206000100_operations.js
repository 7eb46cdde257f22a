// @ts-check
/**
 * Operations: the audit trail and the event webhooks fed from it.
 *
 * - `audit_events`: one row per change worth proving later (a sign-in, a lockout, a second factor
 *   enrolled, a client changed by an administrator, ...), written in the transaction of the change it
 *   records, so a change that rolls back leaves no event and an event never outlives its change. It
 *   names the actor (an account, a client, or the CLI with the OS user), the target, the source
 *   address, the user agent and the request id; `data` holds the details (a reason, the fields
 *   changed), never a secret. Kept AUDIT_RETENTION days; the purge job deletes older rows in batches.
 *   The bigserial id orders events and is the read API's cursor.
 * - `webhook_endpoints`: the operators' receivers, each with the event types it subscribed to and its
 *   Standard Webhooks signing secret (encrypted with SECRET_KEY, as signing keys are).
 * - `webhook_outbox`: one row per event and subscribed endpoint, written in the same transaction as
 *   the event. Any node's job claims due rows with `for update skip locked`; a row is claimed only
 *   when no earlier row of the same endpoint and subject is still undelivered, which keeps deliveries
 *   in order per subject. A row ends delivered, or dead after its last retry (kept for replay).
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id').primary();
    t.string('type', 64).notNullable();
    t.timestamp('occurred_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // account | client | cli | system | anonymous
    t.string('actor_type', 16).notNullable();
    t.string('actor_id', 255);
    // account | client | service_key | api | key | role | session | webhook | registration_token
    t.string('target_type', 32);
    t.string('target_id', 255);
    t.string('ip', 80);
    t.string('user_agent', 512);
    t.string('request_id', 64);
    t.jsonb('data').notNullable().defaultTo('{}');
    t.index(['occurred_at', 'id']);
    t.index(['type', 'id']);
    t.index(['actor_id', 'id']);
    t.index(['target_id', 'id']);
  });
  await knex.schema.createTable('webhook_endpoints', (t) => {
    t.string('id', 64).primary();
    t.string('url', 2048).notNullable();
    // The event types subscribed to (a JSON array of strings; ["*"] for all).
    t.jsonb('events').notNullable();
    // The `whsec_` signing secret, sealed with SECRET_KEY (security/secret-box.ts).
    t.text('secret_sealed').notNullable();
    t.string('description', 255);
    t.boolean('enabled').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('webhook_outbox', (t) => {
    t.bigIncrements('id').primary();
    t.string('endpoint_id', 64)
      .notNullable()
      .references('id')
      .inTable('webhook_endpoints')
      .onDelete('CASCADE');
    // The Standard Webhooks message id (`webhook-id`): the same on every retry and replay.
    t.string('message_id', 64).notNullable();
    t.bigInteger('audit_event_id');
    t.string('type', 64).notNullable();
    // The ordering key: deliveries of one subject to one endpoint go out in id order.
    t.string('subject', 300).notNullable();
    t.jsonb('payload').notNullable();
    // pending | delivered | dead
    t.string('status', 16).notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.string('last_error', 255);
    t.integer('last_status');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('settled_at', { useTz: true });
    t.index(['status', 'next_attempt_at']);
    t.index(['endpoint_id', 'subject', 'id']);
    t.index(['settled_at']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('webhook_outbox');
  await knex.schema.dropTable('webhook_endpoints');
  await knex.schema.dropTable('audit_events');
};
