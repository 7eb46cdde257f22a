/**
 * `gatehouse doctor` through the real CLI: a healthy instance passes (exit 0), a deliberately
 * misconfigured one has each of its faults reported with its code and severity (exit 1), a database
 * that cannot be reached is a finding within seconds, not a crash; the doctor never migrates.
 */
import { loadConfig } from '../../src/config';
import { openDatabase, type Database } from '../../src/db/database';
import { createCliDatabase, runCli, type CliDatabase, type CliResult } from '../support/cli';
import { usingPostgres } from '../support/database';
import { freePort } from '../support/server';

interface Finding {
  check: string;
  severity: 'ok' | 'warning' | 'serious';
  message: string;
  details?: Record<string, unknown>;
}

interface Report {
  findings: Finding[];
  serious: number;
  warnings: number;
}

/** A production configuration the loader accepts (the rest is what the doctor judges). */
const PRODUCTION = {
  NODE_ENV: 'production',
  ISSUER: 'https://id.example.com',
  SECRET_KEY: 'a-production-secret-of-at-least-32-chars',
  BCRYPT_COST: '10',
};

const DAY_MS = 86_400_000;

function parse(result: CliResult): Report {
  try {
    return JSON.parse(result.stdout) as Report;
  } catch {
    throw new Error(`doctor printed no JSON (exit ${result.code}): ${result.stdout}${result.stderr}`);
  }
}

async function doctor(cli: CliDatabase, env: Record<string, string> = {}) {
  const result = await cli.run(['doctor', '--json'], { env });
  return { result, report: parse(result) };
}

/** The one finding with this code (failing when there are none or several). */
function findingOf(report: Report, check: string): Finding {
  const found = report.findings.filter((f) => f.check === check);
  expect({ check, count: found.length }).toEqual({ check, count: 1 });
  return found[0]!;
}

const severities = (report: Report) => Object.fromEntries(report.findings.map((f) => [f.check, f.severity]));

/** The CLI's database, opened by the test as a command opens it (the embedded one: its lock). */
async function withDatabase<T>(cli: CliDatabase, run: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(loadConfig(cli.env).database, { role: 'command' });
  try {
    return await run(db);
  } finally {
    await db.destroy();
  }
}

describe('on a healthy, freshly migrated instance', () => {
  let cli: CliDatabase;

  beforeAll(async () => {
    cli = await createCliDatabase();
    expect((await cli.run(['db', 'migrate'])).code).toBe(0);
    expect((await cli.run(['keys', 'rotate'])).code).toBe(0);
  });

  afterAll(async () => {
    await cli?.drop();
  });

  it('finds nothing serious and exits 0', async () => {
    const { result, report } = await doctor(cli);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(report.serious).toBe(0);
    expect(report.findings.filter((f) => f.severity === 'serious')).toEqual([]);
    expect(report.warnings).toBe(report.findings.filter((f) => f.severity === 'warning').length);
    expect(severities(report)).toEqual({
      // NODE_ENV=test: the production checks of settings are off, and the report says so.
      'settings.node_env': 'warning',
      'database.reachable': 'ok',
      'database.migrations': 'ok',
      'database.tables': 'ok',
      'purge.backlog': 'ok',
      'keys.age': 'ok',
      'keys.secret_key': 'ok',
      'demo.present': 'ok',
      'clients.http_redirect_uris': 'ok',
      'accounts.admin_without_mfa': 'ok',
      'outbox.webhooks': 'ok',
      'outbox.webhooks_dead': 'ok',
      'outbox.backchannel_logout': 'ok',
    });
    expect(findingOf(report, 'database.migrations').details).toMatchObject({ pending: [] });
    // pg_total_relation_size answers on both databases: every table is there, with its size.
    const tables = findingOf(report, 'database.tables').details as {
      total_bytes: number;
      tables: { table: string; bytes: number }[];
    };
    expect(tables.tables.map((t) => t.table)).toEqual(
      expect.arrayContaining([
        'oidc_payloads',
        'accounts',
        'signing_keys',
        'webhook_outbox',
        'knex_migrations',
      ]),
    );
    expect(tables.tables.every((t) => t.bytes > 0)).toBe(true);
    expect(tables.total_bytes).toBe(tables.tables.reduce((sum, t) => sum + t.bytes, 0));
  });

  it('prints one line per finding with its marker, then the totals', async () => {
    const result = await cli.run(['doctor']);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const lines = result.stdout.trimEnd().split('\n');
    const report = parse(await cli.run(['doctor', '--json']));
    expect(lines.slice(0, report.findings.length)).toEqual(
      report.findings.map((f) => expect.stringMatching(new RegExp(`^(ok|WARNING|SERIOUS) +${f.check}: `))),
    );
    expect(lines.slice(report.findings.length)).toEqual(['', '0 serious, 1 warning']);
    expect(result.stdout).toMatch(/^ok {7}database\.reachable: .* answered in \d+ ms$/m);
  });
});

describe('on a misconfigured instance', () => {
  let cli: CliDatabase;
  let latest: string;

  beforeAll(async () => {
    cli = await createCliDatabase();
    for (const args of [
      ['db', 'migrate'],
      ['keys', 'rotate'],
      // The demo data: users (an admin without a second factor) and clients with known secrets.
      ['db', 'seed'],
      // Allowed outside production, kept when the instance moves to production.
      [
        'client',
        'create',
        '--id',
        'plain-http',
        '--name',
        'Plain',
        '--redirect-uri',
        'http://app.example.com/cb',
      ],
    ])
      expect(await cli.run(args)).toMatchObject({ code: 0 });

    latest = await withDatabase(cli, async (db) => {
      const now = Date.now();
      // A signing key that has signed for 400 days.
      await db('signing_keys')
        .where({ status: 'active', alg: 'RS256' })
        .update({ created_at: new Date(now - 400 * DAY_MS) });
      // More expired rate-limit windows than the threshold, and an audit event past AUDIT_RETENTION.
      await db.raw(
        `insert into rate_limits (key, points, expire)
         select 'doctor-test:' || g, 1, ? from generate_series(1, 10001) g`,
        [now - 60_000],
      );
      await db('audit_events').insert({
        type: 'user.created',
        actor_type: 'cli',
        occurred_at: new Date(now - 100 * DAY_MS),
      });
      // A webhook delivery pending for two days, one dead, one delivered long ago, and a logout token
      // waiting for two hours.
      await db('webhook_endpoints').insert({
        id: 'wh_doctor',
        url: 'https://hooks.example.com/gatehouse',
        events: JSON.stringify(['*']),
        secret_sealed: 'not-a-real-secret',
      });
      const delivery = {
        endpoint_id: 'wh_doctor',
        type: 'user.created',
        subject: 'account:1',
        payload: JSON.stringify({ type: 'user.created' }),
      };
      await db('webhook_outbox').insert([
        { ...delivery, message_id: 'evt_1', status: 'pending', created_at: new Date(now - 2 * DAY_MS) },
        { ...delivery, message_id: 'evt_2', status: 'dead', settled_at: new Date(now - DAY_MS) },
        // Settled past the 7 days a delivery is kept for replay: the purge's to delete.
        { ...delivery, message_id: 'evt_3', status: 'delivered', settled_at: new Date(now - 8 * DAY_MS) },
      ]);
      await db('backchannel_logout_outbox').insert({
        client_id: 'demo-web',
        account_id: 'someone',
        created_at: new Date(now - 2 * 3_600_000),
      });
      // The latest migration not applied (its tables stay: the checks still read them).
      const row = await db('knex_migrations').orderBy('id', 'desc').first('name');
      await db('knex_migrations').where('name', row.name).delete();
      return row.name as string;
    });
  });

  afterAll(async () => {
    await cli?.drop();
  });

  it('in production, reports each fault with its code and severity, and exits 1', async () => {
    const { result, report } = await doctor(cli, { ...PRODUCTION, PROXY: 'false' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^gatehouse: doctor: \d+ serious findings\n$/);
    expect(severities(report)).toMatchObject({
      'settings.proxy': 'serious',
      'settings.bcrypt_cost': 'warning',
      'settings.metrics': 'warning',
      'settings.mfa_required_roles': 'warning',
      'database.reachable': 'ok',
      'database.migrations': 'serious',
      'purge.backlog': 'warning',
      'purge.disabled': 'warning',
      'keys.age': 'serious',
      // The keys were sealed under the test configuration's SECRET_KEY, not this one.
      'keys.secret_key': 'serious',
      'demo.present': 'serious',
      'clients.http_redirect_uris': 'serious',
      'accounts.admin_without_mfa': 'serious',
      'outbox.webhooks': 'serious',
      'outbox.webhooks_dead': 'warning',
      'outbox.backchannel_logout': 'warning',
    });
    expect(report.findings.filter((f) => f.check.endsWith('.failed'))).toEqual([]);
    expect(report.serious).toBe(report.findings.filter((f) => f.severity === 'serious').length);

    expect(findingOf(report, 'database.migrations').details).toMatchObject({ pending: [latest] });
    expect(findingOf(report, 'keys.age').details).toMatchObject({ alg: 'RS256', age_days: 400 });
    expect(findingOf(report, 'purge.backlog').details).toMatchObject({
      tables: { rate_limits: 10001, audit_events: 1, webhook_outbox: 1 },
    });
    expect(findingOf(report, 'purge.backlog').message).toContain('rate_limits 10001');
    expect(findingOf(report, 'demo.present').details).toEqual({
      accounts: ['admin', 'alice'],
      clients: ['demo-cli', 'demo-device', 'demo-service', 'demo-spa', 'demo-web'],
      service_keys: [expect.any(String)],
    });
    expect(findingOf(report, 'clients.http_redirect_uris').details).toEqual({
      clients: [{ client_id: 'plain-http', uris: ['http://app.example.com/cb'] }],
    });
    expect(findingOf(report, 'accounts.admin_without_mfa').details).toEqual({
      accounts: [{ id: expect.any(String), username: 'admin' }],
    });
    expect(findingOf(report, 'outbox.webhooks').details).toMatchObject({ pending: 1 });
    expect(findingOf(report, 'outbox.webhooks_dead').details).toEqual({ dead: 1 });
    expect(findingOf(report, 'outbox.backchannel_logout').details).toMatchObject({ pending: 1 });
    // Nothing secret in the report.
    expect(result.stdout).not.toContain(PRODUCTION.SECRET_KEY);
    expect(result.stdout).not.toContain('not-a-real-secret');
  });

  it('outside production, the same clients and admins are warnings; the demo data is expected', async () => {
    const { result, report } = await doctor(cli);
    // Still serious: the pending migration, the 400-day key, the webhook delivery waiting for days.
    expect(result.code).toBe(1);
    expect(severities(report)).toMatchObject({
      'settings.node_env': 'warning',
      'keys.secret_key': 'ok',
      'demo.present': 'ok',
      'clients.http_redirect_uris': 'warning',
      'accounts.admin_without_mfa': 'warning',
    });
    expect(report.findings.map((f) => f.check)).not.toContain('settings.proxy');
  });

  it('never migrates: the migration is still pending after the runs', async () => {
    const { report } = await doctor(cli);
    expect(findingOf(report, 'database.migrations')).toMatchObject({
      severity: 'serious',
      details: { pending: [latest] },
    });
    const names = await withDatabase(cli, (db) => db('knex_migrations').pluck('name'));
    expect(names).not.toContain(latest);
  });

  it('warns when the oldest active key is past the rotation age, and the human report marks it', async () => {
    await withDatabase(cli, (db) =>
      db('signing_keys')
        .where({ status: 'active' })
        .update({ created_at: new Date(Date.now() - 120 * DAY_MS) }),
    );
    const { report } = await doctor(cli);
    expect(findingOf(report, 'keys.age')).toMatchObject({ severity: 'warning', details: { age_days: 120 } });
    const human = await cli.run(['doctor']);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(
      /^WARNING {2}keys\.age: oldest active signing key \S+ \(\w+\) is 120 days old/m,
    );
    expect(human.stdout).toMatch(/^SERIOUS {2}database\.migrations: 1 of \d+ migrations not applied/m);
    expect(human.stdout).toMatch(/\n\n\d+ serious, \d+ warnings\n$/);
  });
});

describe('when the database is not there', () => {
  it('reports an unreachable PostgreSQL as a serious finding, within seconds, and exits 1', async () => {
    const port = await freePort();
    const started = Date.now();
    const result = await runCli(['doctor', '--json'], {
      DATABASE_URL: `postgres://gatehouse:pw@127.0.0.1:${port}/gatehouse`,
      LOG_LEVEL: 'silent',
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.code).toBe(1);
    const report = parse(result);
    expect(findingOf(report, 'database.reachable')).toMatchObject({
      severity: 'serious',
      message: expect.stringContaining(`cannot reach PostgreSQL at 127.0.0.1:${port}/gatehouse`),
      details: { reason: 'ECONNREFUSED' },
    });
    // The settings are still checked; nothing that needs the database is.
    expect(report.findings.map((f) => f.check)).toEqual(['settings.node_env', 'database.reachable']);
    expect(result.stdout).not.toContain(':pw@');
  });

  it('reports a configuration the servers would refuse, instead of crashing', async () => {
    const result = await runCli(['doctor', '--json'], { NODE_ENV: 'production', LOG_LEVEL: 'silent' });
    expect(result.code).toBe(1);
    expect(parse(result).findings).toEqual([
      {
        check: 'config.invalid',
        severity: 'serious',
        message: expect.stringContaining('ISSUER: required in production'),
      },
    ]);
  });

  it('reports a database never migrated, and writes nothing to it', async () => {
    const cli = await createCliDatabase();
    try {
      if (!usingPostgres) {
        // An embedded DATA_DIR without a database: said so, and none is created there.
        const { result, report } = await doctor(cli);
        expect(result.code).toBe(1);
        expect(findingOf(report, 'database.reachable')).toMatchObject({
          severity: 'serious',
          details: { reason: 'no_data_dir' },
        });
        // Now the files, without any migration.
        await withDatabase(cli, (db) => db.raw('select 1'));
      }
      const { result, report } = await doctor(cli);
      expect(result.code).toBe(1);
      expect(severities(report)).toEqual({
        'settings.node_env': 'warning',
        'database.reachable': 'ok',
        'database.migrations': 'serious',
      });
      expect(findingOf(report, 'database.migrations').details).toMatchObject({ applied: 0 });
      expect(await withDatabase(cli, (db) => db.schema.hasTable('knex_migrations'))).toBe(false);
    } finally {
      await cli.drop();
    }
  });
});
