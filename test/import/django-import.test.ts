/**
 * `gatehouse import django` through the real CLI, on Django rows made here (support-django-rows.ts):
 * how users, groups and applications map, collisions, weak and unknown hashes, clients the
 * validator refuses, the dry run (nothing written), idempotency (a second run updates, never
 * duplicates, and keeps what Gatehouse changed since), --json, the subject map, a malformed dump,
 * and the PostgreSQL reader giving the same snapshot as the dump. The real DOT project end to end is
 * test/import/django-dot.test.ts.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '../../src/config';
import { openServices } from '../../src/services';
import { createCliDatabase, expectOneLineError, type CliDatabase } from '../support/cli';
import { createDjangoDatabase, dumpdata, md5Hash, pbkdf2Hash, type DjangoRows } from './support-django-rows';

jest.setTimeout(120_000);

const HOUR = 3600_000;
const future = new Date(Date.now() + 2 * HOUR).toISOString();
const past = new Date(Date.now() - HOUR).toISOString();

const hashes = {
  alice: pbkdf2Hash('alice-password'),
  bob: md5Hash('bob-password'),
  carol: pbkdf2Hash('carol-password'),
  Dave: pbkdf2Hash('dave-upper'),
  dave: pbkdf2Hash('dave-lower'),
  grace: pbkdf2Hash('grace-password'),
  svc: pbkdf2Hash('svc-secret'),
  hs: pbkdf2Hash('hs-secret'),
};
const WEB_SECRET = 'web-plain-secret-from-dot-1x-0123456789abcdefghijklmnopqrstuvwxyz';

function rows(): DjangoRows {
  return {
    groups: [
      { id: 1, name: 'editors' },
      { id: 2, name: 'Support Team' },
      { id: 3, name: 'Admin' },
    ],
    users: [
      {
        id: 1,
        username: 'alice',
        password: hashes.alice,
        email: 'alice@example.com',
        first_name: 'Alice',
        last_name: 'Liddell',
        is_superuser: true,
        date_joined: '2024-05-06T07:08:09.123Z',
        last_login: '2025-06-07T08:09:10.456Z',
        groups: [1, 2],
      },
      {
        id: 2,
        username: 'bob',
        password: hashes.bob,
        is_staff: true,
        is_active: false,
        date_joined: '2024-01-01T00:00:00Z',
      },
      { id: 3, username: 'carol', password: hashes.carol, date_joined: '2024-01-01T00:00:00Z' },
      {
        id: 4,
        username: 'Dave',
        password: hashes.Dave,
        date_joined: '2024-01-01T00:00:00Z',
        last_login: '2024-02-01T00:00:00Z',
      },
      {
        id: 5,
        username: 'dave',
        password: hashes.dave,
        date_joined: '2024-01-01T00:00:00Z',
        last_login: '2025-02-01T00:00:00Z',
      },
      {
        id: 6,
        username: 'erin',
        password: '!Unusable0123456789abcdefghijklmnopqrstu',
        date_joined: '2024-01-01T00:00:00Z',
      },
      { id: 7, username: 'frank', password: 'sha9$abc$0123456789', date_joined: '2024-01-01T00:00:00Z' },
      { id: 8, username: 'grace', password: hashes.grace, date_joined: '2024-01-01T00:00:00Z', groups: [3] },
    ],
    applications: [
      {
        id: 1,
        client_id: 'web-app',
        client_secret: WEB_SECRET,
        client_type: 'confidential',
        authorization_grant_type: 'authorization-code',
        redirect_uris: 'https://app.example/cb https://app.example/cb2',
        name: 'Web',
        skip_authorization: true,
        algorithm: 'RS256',
      },
      {
        id: 2,
        client_id: 'spa',
        client_secret: 'generated-but-unused',
        client_type: 'public',
        authorization_grant_type: 'authorization-code',
        redirect_uris: 'http://localhost:5173/cb',
        name: 'SPA',
      },
      {
        id: 3,
        client_id: 'svc',
        client_secret: hashes.svc,
        client_type: 'confidential',
        authorization_grant_type: 'client-credentials',
        name: 'Service',
      },
      {
        id: 4,
        client_id: 'mobile',
        client_secret: 'x',
        client_type: 'public',
        authorization_grant_type: 'password',
        name: 'Mobile',
      },
      {
        id: 5,
        client_id: 'hs',
        client_secret: hashes.hs,
        client_type: 'confidential',
        authorization_grant_type: 'authorization-code',
        redirect_uris: 'https://hs.example/cb',
        name: 'HS',
        algorithm: 'HS256',
      },
      {
        id: 6,
        client_id: 'imp',
        client_secret: 'imp-secret',
        client_type: 'public',
        authorization_grant_type: 'implicit',
        redirect_uris: 'https://imp.example/cb',
        name: 'Implicit',
        algorithm: 'RS256',
      },
      {
        id: 7,
        client_id: 'hyb',
        client_secret: 'hyb-secret',
        client_type: 'confidential',
        authorization_grant_type: 'openid-hybrid',
        redirect_uris: 'https://hyb.example/cb',
        name: 'Hybrid',
        algorithm: 'RS256',
      },
      {
        id: 8,
        client_id: 'odd',
        client_secret: 's',
        client_type: 'confidential',
        authorization_grant_type: 'device-code',
        name: 'Odd',
      },
      {
        id: 9,
        client_id: 'pwd',
        client_secret: 'pwd-secret',
        client_type: 'confidential',
        authorization_grant_type: 'password',
        name: 'Password',
      },
    ],
    accessTokens: [
      {
        id: 1,
        token: 'dot-live-access-token',
        user: 1,
        application: 1,
        expires: future,
        scope: 'read write',
      },
      { id: 2, token: 'dot-expired-access-token', user: 1, application: 1, expires: past, scope: 'read' },
    ],
  };
}

let cli: CliDatabase;
let dir: string;

function writeDump(name: string, data: DjangoRows | string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof data === 'string' ? data : dumpdata(data));
  return file;
}

interface Counts {
  accounts: number;
  clients: number;
  roles: number;
  links: number;
  payloads: number;
}

/** Reads the database between CLI runs (the embedded one is one process's at a time). */
async function inspect<T>(read: (db: import('knex').Knex) => Promise<T>): Promise<T> {
  const services = await openServices(loadConfig(cli.env));
  try {
    return await read(services.db);
  } finally {
    await services.db.destroy();
  }
}

const count = async (db: import('knex').Knex, table: string) =>
  Number((await db(table).count<{ n: string }[]>({ n: '*' }))[0]!.n);

const counts = () =>
  inspect(async (db): Promise<Counts> => ({
    accounts: await count(db, 'accounts'),
    clients: await count(db, 'clients'),
    roles: await count(db, 'roles'),
    links: await count(db, 'import_links'),
    payloads: await count(db, 'oidc_payloads'),
  }));

interface Report {
  dryRun: boolean;
  groups: {
    created: number;
    existing: number;
    skipped: { group: string; reason: string }[];
    roles: Record<string, string>;
  };
  users: {
    total: number;
    created: number;
    updated: number;
    unchanged: number;
    skipped: { djangoUserId: string; username: string; reason: string }[];
    collisions: { username: string; djangoUserIds: string[]; with: string; imported: string | null }[];
    hashFormats: { format: string; count: number; supported: boolean; imported: boolean }[];
    withoutPassword: { djangoUserId: string; username: string; reason: string }[];
  };
  applications: {
    total: number;
    created: number;
    updated: number;
    unchanged: number;
    refused: { clientId: string; reason: string }[];
    hashedSecrets: number;
  };
  tokens: { accessTokens: { imported: number; unchanged: number }; skipped: { expired: number } } | null;
  subjects: number;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-import-'));
  cli = await createCliDatabase({ DJANGO_COMPAT: 'true' });
  const created = await cli.run(['user', 'create', 'carol', '--password-stdin'], {
    input: 'a-gatehouse-password-1\n',
  });
  expect(created.code).toBe(0);
});

afterAll(async () => {
  await cli?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const SECRETS = [...Object.values(hashes), WEB_SECRET, 'dot-live-access-token', 'hyb-secret'];

function expectNoSecrets(text: string): void {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
  expect(text).not.toMatch(/pbkdf2_sha256\$|md5\$[0-9a-f]/);
}

describe('gatehouse import django', () => {
  let dump: string;
  let before: Counts;

  it('refuses bad usage with exit code 2', async () => {
    expectOneLineError(await cli.run(['import', 'django']), 2, /give one source/);
    expectOneLineError(
      await cli.run(['import', 'django', '--dumpdata', 'x.json', '--database-url', 'postgres://h/db']),
      2,
      /give one source/,
    );
    expectOneLineError(
      await cli.run(['import', 'django', '--dumpdata', 'x.json', '--staff-role', 'Staff!']),
      2,
      /--staff-role/,
    );
    expectOneLineError(
      await cli.run(['import', 'django', '--dumpdata', 'x.json', '--time-zone', 'Mars/Olympus']),
      2,
      /--time-zone/,
    );
  });

  it('refuses a malformed dump in one line, naming no value, and writes nothing', async () => {
    before = await counts();
    const bad = rows();
    bad.users[0]!.date_joined = 'last tuesday';
    expectOneLineError(
      await cli.run(['import', 'django', '--dumpdata', writeDump('bad.json', bad)]),
      1,
      /bad\.json: entry \d+ \(auth\.user 1\): date_joined is not an ISO 8601 datetime\n$/,
    );
    const truncated = dumpdata(rows()).slice(0, 400);
    const result = await cli.run(['import', 'django', '--dumpdata', writeDump('truncated.json', truncated)]);
    expectOneLineError(result, 1, /truncated\.json: not JSON/);
    expectNoSecrets(result.stderr);
    expectOneLineError(
      await cli.run(['import', 'django', '--dumpdata', path.join(dir, 'missing.json')]),
      1,
      /no such file/,
    );
    expect(await counts()).toEqual(before);
  });

  it('--dry-run reports everything and writes nothing', async () => {
    dump = writeDump('dump.json', rows());
    const result = await cli.run([
      'import',
      'django',
      '--dumpdata',
      dump,
      '--dry-run',
      '--json',
      '--subject-map',
      path.join(dir, 'dry.csv'),
    ]);
    expect(result.code).toBe(0);
    expectNoSecrets(result.stdout + result.stderr);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.dryRun).toBe(true);
    expect(report.groups).toEqual({
      created: 2,
      existing: 0,
      skipped: [{ group: 'Admin', reason: 'reserved_name' }],
      roles: { editors: 'editors', 'Support Team': 'support-team' },
    });
    expect(report.users).toMatchObject({ total: 8, created: 6, updated: 0, unchanged: 0 });
    expect(report.users.skipped).toEqual(
      expect.arrayContaining([
        { djangoUserId: '3', username: 'carol', reason: 'collision' },
        { djangoUserId: '4', username: 'Dave', reason: 'collision' },
      ]),
    );
    expect(report.users.skipped).toHaveLength(2);
    expect(report.users.collisions).toEqual(
      expect.arrayContaining([
        { username: 'dave', djangoUserIds: ['5', '4'], with: 'case', imported: '5' },
        { username: 'carol', djangoUserIds: ['3'], with: 'gatehouse_account', imported: null },
      ]),
    );
    expect(report.users.hashFormats).toEqual([
      { format: 'pbkdf2_sha256', count: 3, supported: true, imported: true },
      { format: 'md5', count: 1, supported: true, imported: false },
      { format: 'unknown:sha9', count: 1, supported: false, imported: false },
      { format: 'unusable', count: 1, supported: false, imported: false },
    ]);
    expect(report.users.withoutPassword).toEqual([
      { djangoUserId: '2', username: 'bob', reason: 'weak_hash' },
      { djangoUserId: '7', username: 'frank', reason: 'unknown_hash' },
    ]);
    expect(report.applications).toMatchObject({
      total: 9,
      created: 6,
      updated: 0,
      unchanged: 0,
      hashedSecrets: 1,
    });
    expect(report.applications.refused.map((r) => r.clientId).sort()).toEqual(['hs', 'mobile', 'odd']);
    expect(report.applications.refused.find((r) => r.clientId === 'mobile')?.reason).toMatch(
      /public client cannot use the password grant/,
    );
    expect(report.tokens?.skipped.expired).toBe(1);
    expect(result.stderr).toContain('dry run: ');
    expect(fs.existsSync(path.join(dir, 'dry.csv'))).toBe(false);
    expect(await counts()).toEqual(before);
  });

  it('imports users, roles and clients as mapped, and the live token', async () => {
    const report = await cli.json<Report>(['import', 'django', '--dumpdata', dump, '--staff-role', 'staff']);
    expect(report.users).toMatchObject({ created: 6, updated: 0, unchanged: 0 });
    expect(report.applications).toMatchObject({ created: 6 });
    expect(report.tokens?.accessTokens).toEqual({ imported: 1, unchanged: 0 });
    const state = await inspect(async (db) => ({
      accounts: await db('accounts as a')
        .select(
          'a.username',
          'a.password_hash',
          'a.email',
          'a.email_verified',
          'a.given_name',
          'a.family_name',
          'a.disabled',
          'a.created_at',
          'a.last_login_at',
        )
        .select(
          db.raw(
            `coalesce((select string_agg(role_name, ' ' order by role_name) from account_roles where account_id = a.id), '') as roles`,
          ),
        )
        .orderBy('a.username'),
      clients: await db('clients').select('client_id', 'metadata', 'secret_hash').orderBy('client_id'),
    }));
    const byName: Record<string, { password_hash: string | null; roles: string }> = Object.fromEntries(
      state.accounts.map((a: { username: string; password_hash: string | null; roles: string }) => [
        a.username,
        a,
      ]),
    );
    expect(Object.keys(byName)).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace']);
    expect(byName.alice).toEqual({
      username: 'alice',
      password_hash: hashes.alice,
      email: 'alice@example.com',
      email_verified: false,
      given_name: 'Alice',
      family_name: 'Liddell',
      disabled: false,
      created_at: new Date('2024-05-06T07:08:09.123Z'),
      last_login_at: new Date('2025-06-07T08:09:10.456Z'),
      roles: 'admin editors support-team',
    });
    expect(byName.bob).toMatchObject({ password_hash: null, disabled: true, roles: 'staff', email: null });
    expect(byName.carol.password_hash).toMatch(/^\$2[aby]\$/); // Gatehouse's own carol, untouched
    expect(byName.dave.password_hash).toBe(hashes.dave);
    expect(byName.erin.password_hash).toBeNull();
    expect(byName.frank.password_hash).toBeNull();
    expect(byName.grace.roles).toBe(''); // the group "Admin" gives no admin role

    const clients = Object.fromEntries(
      state.clients.map(
        (c: { client_id: string; metadata: Record<string, unknown>; secret_hash: string | null }) => [
          c.client_id,
          c,
        ],
      ),
    );
    expect(Object.keys(clients)).toEqual(['hyb', 'imp', 'pwd', 'spa', 'svc', 'web-app']);
    const scope = 'openid profile email roles offline_access read write';
    expect(clients['web-app'].metadata).toEqual({
      client_id: 'web-app',
      client_name: 'Web',
      client_secret: WEB_SECRET,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['https://app.example/cb', 'https://app.example/cb2'],
      post_logout_redirect_uris: [],
      scope,
      id_token_signed_response_alg: 'RS256',
      first_party: true,
    });
    expect(clients['web-app'].secret_hash).toBeNull();
    expect(clients.spa.metadata).toMatchObject({
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    });
    expect(clients.spa.metadata.client_secret).toBeUndefined();
    expect(clients.svc.secret_hash).toBe(hashes.svc);
    expect(clients.svc.metadata).toMatchObject({
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    });
    expect(clients.svc.metadata.client_secret).toEqual(expect.any(String));
    expect(clients.svc.metadata.client_secret).not.toBe('svc-secret');
    expect(clients.imp.metadata).toMatchObject({
      grant_types: ['implicit'],
      response_types: ['id_token token', 'id_token'],
    });
    expect(clients.hyb.metadata).toMatchObject({
      grant_types: ['authorization_code', 'implicit', 'refresh_token'],
      response_types: ['code id_token', 'code token', 'code id_token token'],
    });
    expect(clients.pwd.metadata).toMatchObject({
      grant_types: ['password', 'refresh_token'],
      response_types: [],
    });
  });

  it('a second run changes nothing, and never duplicates', async () => {
    const after = await counts();
    const report = await cli.json<Report>(['import', 'django', '--dumpdata', dump, '--staff-role', 'staff']);
    expect(report.users).toMatchObject({ created: 0, updated: 0, unchanged: 6 });
    expect(report.applications).toMatchObject({ created: 0, updated: 0, unchanged: 6 });
    expect(report.tokens?.accessTokens).toEqual({ imported: 0, unchanged: 1 });
    expect(await counts()).toEqual(after);
  });

  // The embedded database is one process's at a time: two CLI runs at once need PostgreSQL.
  (process.env.DATABASE_URL ? it : it.skip)(
    'two runs at once: one writes, the other finds it written',
    async () => {
      const changed = rows();
      changed.users.push({
        id: 9,
        username: 'heidi',
        password: pbkdf2Hash('heidi'),
        date_joined: '2024-01-01T00:00:00Z',
      });
      const file = writeDump('race.json', changed);
      const [a, b] = await Promise.all([
        cli.json<Report>(['import', 'django', '--dumpdata', file, '--staff-role', 'staff']),
        cli.json<Report>(['import', 'django', '--dumpdata', file, '--staff-role', 'staff']),
      ]);
      expect([a.users.created, b.users.created].sort()).toEqual([0, 1]);
      expect(
        await inspect(async (db) =>
          Number((await db('accounts').where('username', 'heidi').count<{ n: string }[]>({ n: '*' }))[0]!.n),
        ),
      ).toBe(1);
    },
  );

  it('a later run updates what changed in Django, and keeps what Gatehouse wrote since', async () => {
    // bob's md5 hash comes over with --allow-weak-hashes.
    const weak = await cli.json<Report>([
      'import',
      'django',
      '--dumpdata',
      dump,
      '--staff-role',
      'staff',
      '--allow-weak-hashes',
    ]);
    expect(weak.users.updated).toBe(1);
    expect(await inspect((db) => db('accounts').where('username', 'bob').first('password_hash'))).toEqual({
      password_hash: hashes.bob,
    });

    // A password set at Gatehouse (the rehash of a sign-in writes the same kind of hash) stays.
    const set = await cli.run(['user', 'set-password', 'alice', '--password-stdin'], {
      input: 'a-new-gatehouse-password-1\n',
    });
    expect(set.code).toBe(0);
    const changed = rows();
    changed.users[0]!.email = 'alice@new.example';
    changed.users[0]!.groups = [1];
    changed.applications[0]!.redirect_uris = 'https://app.example/new';
    const report = await cli.json<Report>([
      'import',
      'django',
      '--dumpdata',
      writeDump('changed.json', changed),
      '--staff-role',
      'staff',
      '--allow-weak-hashes',
    ]);
    expect(report.users).toMatchObject({ created: 0, updated: 1 });
    expect(report.applications).toMatchObject({ created: 0, updated: 1, unchanged: 5 });
    const alice = await inspect(async (db) => ({
      row: await db('accounts').where('username', 'alice').first('password_hash', 'email'),
      roles: await db('account_roles as ar')
        .join('accounts as a', 'a.id', 'ar.account_id')
        .where('a.username', 'alice')
        .orderBy('role_name')
        .pluck('role_name'),
      redirects: (await db('clients').where('client_id', 'web-app').first('metadata')).metadata.redirect_uris,
    }));
    expect(alice.row.email).toBe('alice@new.example');
    expect(alice.row.password_hash).toMatch(/^\$2[aby]\$/);
    expect(alice.roles).toEqual(['admin', 'editors']);
    expect(alice.redirects).toEqual(['https://app.example/new']);
    dump = writeDump('dump.json', changed);
  });

  it('--subject-map writes which Django user became which sub; --no-tokens leaves tokens', async () => {
    const file = path.join(dir, 'subjects.csv');
    const report = await cli.json<Report>([
      'import',
      'django',
      '--dumpdata',
      dump,
      '--staff-role',
      'staff',
      '--allow-weak-hashes',
      '--no-tokens',
      '--subject-map',
      file,
    ]);
    expect(report.tokens).toBeNull();
    const ids = await inspect((db) => db('accounts').select('id', 'username'));
    const idOf = Object.fromEntries(ids.map((a: { id: string; username: string }) => [a.username, a.id]));
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe('django_user_id,username,sub');
    expect(lines.slice(1).sort()).toEqual(
      [
        ['1', 'alice'],
        ['2', 'bob'],
        ['5', 'dave'],
        ['6', 'erin'],
        ['7', 'frank'],
        ['8', 'grace'],
      ]
        .map(([id, name]) => `${id},${name},${idOf[name!]}`)
        .sort(),
    );
  });

  it('prints a text summary without hashes or secrets', async () => {
    const result = await cli.run([
      'import',
      'django',
      '--dumpdata',
      dump,
      '--staff-role',
      'staff',
      '--dry-run',
    ]);
    expect(result.code).toBe(0);
    expectNoSecrets(result.stdout);
    expect(result.stdout).toContain('Dry run: nothing was written.');
    expect(result.stdout).toMatch(/collision dave: Django users 5, 4 differ only in case; user 5 comes over/);
    expect(result.stdout).toMatch(/md5 +1 +weak: imported without a password/);
    expect(result.stdout).toMatch(
      /refused mobile: grant_types a public client cannot use the password grant/,
    );
  });

  it('reads the Django PostgreSQL database into the same snapshot as the dump', async () => {
    const server = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    const name = `gatehouse_test_django_${randomBytes(6).toString('hex')}`;
    const admin = new Client({ connectionString: server.toString() });
    await admin.connect();
    await admin.query(`create database ${name}`);
    try {
      const url = new URL(server.toString());
      url.pathname = `/${name}`;
      const changed = rows();
      changed.users[0]!.email = 'alice@new.example';
      changed.users[0]!.groups = [1];
      changed.applications[0]!.redirect_uris = 'https://app.example/new';
      await createDjangoDatabase(url.toString(), changed);
      url.password = 'not-a-real-password';
      const result = await cli.run([
        'import',
        'django',
        '--database-url',
        url.toString(),
        '--staff-role',
        'staff',
        '--allow-weak-hashes',
        '--json',
      ]);
      expect(result.code).toBe(0);
      expect(result.stdout + result.stderr).not.toContain('not-a-real-password');
      const report = JSON.parse(result.stdout) as Report & { source: string };
      expect(report.source).toBe(`postgres://${url.host}/${name}`);
      expect(report.users).toMatchObject({ created: 0, updated: 0, unchanged: 6 });
      expect(report.applications).toMatchObject({ created: 0, updated: 0, unchanged: 6 });
      expect(report.tokens?.accessTokens).toEqual({ imported: 0, unchanged: 1 });
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});
