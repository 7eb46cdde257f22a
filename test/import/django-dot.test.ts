/**
 * Moving off a real django-oauth-toolkit project (issue 16, "Tests, against the real thing"): DOT 1.7
 * on Django 3.2 with a fresh PostgreSQL database, users hashed by every Django hasher, applications
 * of every grant type (one secret hashed by make_password, as DOT >= 2.0 stores it) and tokens from
 * DOT's own /o/token/. Then `gatehouse import django --database-url` (a dry run first), and Gatehouse
 * with DJANGO_COMPAT=true answers DOT's clients, users, tokens and resource servers.
 */
import { clientPost } from '../support/http';
import { Browser } from '../support/browser';
import { discover } from '../support/rp';
import { redeem, signInAndAllow, start as startSignIn } from '../interactions/support/flow';
import {
  authenticateEveryClient,
  creds,
  expectedIntrospections,
  expectedSignIns,
  introspectDotTokens,
  oIntrospect,
  oToken,
  passwordAt,
  signInEveryone,
  userNamed,
} from '../support/django/checks';
import { issueDotTokens, type DotTokens } from '../support/django/dot-tokens';
import { GatehouseRig } from '../support/django/gatehouse';
import { createDjangoProject, describeWithDjango, type DjangoProject, type Seeded } from '../support/django';
import { sleep } from '../support/wait';

const describeIfDjango = describeWithDjango('test/import/django-dot.test.ts');

jest.setTimeout(120_000);

/** The parts of the import's --json summary these tests read. */
interface ImportSummary {
  users: { hashFormats: { format: string; count: number; supported: boolean; imported: boolean }[] };
  applications: { refused: { clientId: string; name: string; reason: string }[] };
  tokens: unknown;
}

describeIfDjango('gatehouse import django --database-url, from a real DOT project', () => {
  let django: DjangoProject;
  let seeded: Seeded;
  let dot: DotTokens;
  let rig: GatehouseRig;
  let importArgs: string[];
  let dryRun: ImportSummary;

  beforeAll(async () => {
    django = await createDjangoProject('postgresql');
    await django.manage(['migrate', '-v0']);
    seeded = await django.seed();
    const server = await django.runserver();
    dot = await issueDotTokens(server, seeded);
    // Cut-over: DOT stops answering before Gatehouse imports.
    await server.stop();
    rig = await GatehouseRig.create();
    // Migrated first, so that the dry run's "writes nothing" compares two readings of the same tables.
    expect((await rig.run(['db', 'migrate'])).code).toBe(0);
    importArgs = [
      'import',
      'django',
      '--database-url',
      django.databaseUrl!,
      '--allow-weak-hashes',
      '--staff-role',
      'staff',
    ];
  }, 180_000);

  afterAll(async () => {
    await rig?.close();
    await django?.close();
  });

  it('the dry run reports every hash format and writes nothing', async () => {
    const before = await rig.counts();
    const result = await rig.run([...importArgs, '--dry-run', '--json']);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const report = result.stdout;
    dryRun = JSON.parse(report) as ImportSummary;
    const formats = (want: Record<string, number>) =>
      Object.entries(want).map(([format, count]) => ({ format, count, supported: true, imported: true }));
    expect(dryRun.users.hashFormats).toEqual(
      expect.arrayContaining([
        ...formats({ pbkdf2_sha256: 5, pbkdf2_sha1: 1, argon2: 2, bcrypt_sha256: 1, bcrypt: 1, scrypt: 1 }),
        // Weak, imported because of --allow-weak-hashes.
        ...formats({ md5: 1, sha1: 1, unsalted_md5: 1, unsalted_sha1: 1, crypt: 1 }),
        expect.objectContaining({ format: 'unusable', count: 1, imported: false }),
      ]),
    );
    // Secrets and hashes never appear in what the CLI prints.
    for (const app of Object.values(seeded.applications))
      if (app.client_secret) expect(report + result.stderr).not.toContain(app.client_secret);
    expect(report + result.stderr).not.toMatch(/pbkdf2_sha256\$\d+\$/);
    expect(await rig.counts()).toEqual(before);
    expect(await rig.account('ada.pbkdf2')).toBeUndefined();
  });

  it('imports, and Gatehouse starts on what it imported', async () => {
    const result = await rig.run([...importArgs, '--json']);
    // Started whatever the import did, so that each test after this one fails for its own reason.
    await rig.start();
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const summary = JSON.parse(result.stdout) as ImportSummary;
    // The dry run planned exactly what the import then did, tokens included.
    expect(dryRun.tokens).toEqual(summary.tokens);
    for (const user of seeded.users) expect(await rig.account(user.username)).toBeDefined();
  });

  it('carries over names, groups as roles, superuser as admin, staff as --staff-role, inactive, unusable', async () => {
    expect(await rig.account('ada.pbkdf2')).toMatchObject({
      username: 'ada.pbkdf2',
      email: 'ada.pbkdf2@example.com',
      given_name: 'Ada',
      family_name: 'pbkdf2_sha256',
      disabled: false,
      roles: ['editors'],
    });
    expect((await rig.account('cleo.argon2id'))?.roles).toEqual(['editors', 'support']);
    expect((await rig.account('root'))?.roles).toEqual(expect.arrayContaining(['admin']));
    expect((await rig.account('sam.staff'))?.roles).toEqual(['staff', 'support']);
    expect((await rig.account('gone.inactive'))?.disabled).toBe(true);
    expect((await rig.account('nopass'))?.password_hash).toBeNull();
  });

  it('every user signs in at /o/token/ with the old password, and the hash is bcrypt afterwards', async () => {
    expect(await signInEveryone(rig, seeded)).toEqual(expectedSignIns(seeded));
  });

  it('the inactive user and the one with an unusable password cannot sign in', async () => {
    for (const [username, password] of [
      ['gone.inactive', 'gone-inactive-pw'],
      ['nopass', 'nopass'],
      ['nopass', 'any password at all'],
    ] as const) {
      const answer = await passwordAt(rig, seeded, userNamed(seeded, username), password);
      expect({ username, status: answer.status, error: answer.body.error }).toEqual({
        username,
        status: 400,
        error: 'invalid_grant',
      });
    }
    expect((await rig.account('gone.inactive'))?.password_hash).toMatch(/^pbkdf2_sha256\$/);
  });

  it('the login page signs an imported user in (openid-client, the `web` client)', async () => {
    const web = seeded.applications.web;
    const rp = await discover(rig.issuer, web.client_id, web.client_secret);
    const browser = new Browser(['https://web.example.com/']);
    // gus signed in at /o/token/ already: the page checks the same password, against bcrypt now.
    const started = await startSignIn(browser, rp, 'https://web.example.com/callback', {
      scope: 'openid read',
    });
    const callback = await signInAndAllow(
      browser,
      started,
      'gus.scrypt',
      userNamed(seeded, 'gus.scrypt').password,
    );
    const tokens = await redeem(rp, callback, started);
    expect(tokens.claims()).toMatchObject({ aud: web.client_id });
    expect(tokens.scope?.split(' ')).toEqual(expect.arrayContaining(['openid', 'read']));
  });

  it('every confidential client authenticates with its old secret, the make_password one too', async () => {
    const hashed = seeded.applications.hashed_service;
    expect((await rig.client(hashed.client_id))?.secret_hash).toMatch(/^pbkdf2_sha256\$/);
    expect(await authenticateEveryClient(rig, seeded, dot.ada.access_token)).toEqual({
      password: 200,
      service: 200,
      resource_server: 200,
      hashed_service: 200,
      web: 200,
      hybrid: 200,
    });
    // Presented once, the hash gave way to the secret the provider compares; it still works.
    expect((await rig.client(hashed.client_id))?.secret_hash).toBeNull();
    const again = await oToken(rig, { grant_type: 'client_credentials' }, hashed);
    expect(again.status).toBe(200);
    const wrong = await oToken(
      rig,
      { grant_type: 'client_credentials' },
      { ...hashed, client_secret: 'not-it' },
    );
    expect({ status: wrong.status, error: wrong.body.error }).toEqual({
      status: 401,
      error: 'invalid_client',
    });
  });

  it('every application keeps its client_id, but a public one with the password grant (refused, with the reason)', async () => {
    const { password_public: refused, ...rest } = seeded.applications;
    for (const app of Object.values(rest)) expect(await rig.client(app.client_id)).toBeDefined();
    expect(await rig.client(refused.client_id)).toBeUndefined();
    expect(dryRun.applications.refused).toEqual([
      {
        clientId: refused.client_id,
        name: 'password_public',
        reason: expect.stringMatching(/public client/),
      },
    ]);
  });

  it('DOT-issued access tokens introspect active at /o/introspect/, with the username; dead ones do not', async () => {
    expect(await introspectDotTokens(rig, seeded, dot)).toEqual(expectedIntrospections(seeded));
    const ada = (await oIntrospect(rig, dot.ada.access_token, seeded)).body;
    // DOT's expiry (ACCESS_TOKEN_EXPIRE_SECONDS 36000 from issue), kept.
    expect(ada.exp).toBeGreaterThan(Date.now() / 1000 + 35_000);
  });

  it('a DOT refresh token refreshes at /o/token/ and rotates; the ones DOT revoked do not', async () => {
    const app = seeded.applications.password;
    const refreshed = await oToken(
      rig,
      { grant_type: 'refresh_token', refresh_token: dot.root.refresh_token },
      app,
    );
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
    });
    expect(refreshed.body.refresh_token).not.toBe(dot.root.refresh_token);
    expect((await oIntrospect(rig, refreshed.body.access_token as string, seeded)).body).toMatchObject({
      active: true,
      username: 'root',
    });
    for (const dead of [dot.root.refresh_token, dot.root.rotated, dot.revokedRefresh]) {
      const answer = await oToken(rig, { grant_type: 'refresh_token', refresh_token: dead }, app);
      expect({ status: answer.status, error: answer.body.error }).toEqual({
        status: 400,
        error: 'invalid_grant',
      });
    }
  });

  it('a Django resource server introspecting at /o/introspect/ accepts a Gatehouse token, refuses a revoked one', async () => {
    const rs = await createDjangoProject('sqlite');
    try {
      await rs.manage(['migrate', '-v0']);
      const introspector = seeded.applications.resource_server;
      const api = await rs.runserver({
        settings: 'dotproject.settings_rs',
        env: {
          DOT_INTROSPECTION_URL: `${rig.issuer}/o/introspect/`,
          DOT_INTROSPECTION_CLIENT_ID: introspector.client_id,
          DOT_INTROSPECTION_CLIENT_SECRET: introspector.client_secret,
          DOT_TOKEN_CACHING_SECONDS: '1',
        },
      });
      const hello = async (token: string) => {
        const res = await fetch(`${api.url}/api/hello/`, { headers: { authorization: `Bearer ${token}` } });
        return { status: res.status, body: res.status === 200 ? await res.json() : null };
      };
      const issued = await passwordAt(rig, seeded, userNamed(seeded, 'ada.pbkdf2'));
      const token = issued.body.access_token as string;
      expect(await hello(token)).toEqual({ status: 200, body: { username: 'ada.pbkdf2' } });
      // A token DOT issued before the cut-over, introspected at Gatehouse now.
      expect(await hello(dot.service)).toEqual({ status: 200, body: { username: null } });

      const revoked = await clientPost(
        `${rig.issuer}/o/revoke_token/`,
        { token },
        creds(seeded.applications.password),
      );
      expect(revoked.status).toBe(200);
      // DOT keeps an active answer for RESOURCE_SERVER_TOKEN_CACHING_SECONDS (1 s here), then asks again.
      await sleep(1500);
      expect(await hello(token)).toEqual({ status: 403, body: null });

      const fresh = (await passwordAt(rig, seeded, userNamed(seeded, 'fay.bcrypt'))).body
        .access_token as string;
      await clientPost(
        `${rig.issuer}/o/revoke_token/`,
        { token: fresh },
        creds(seeded.applications.password),
      );
      expect(await hello(fresh)).toEqual({ status: 403, body: null });
      expect(await hello('not-a-token')).toEqual({ status: 403, body: null });
    } finally {
      await rs.close();
    }
  });

  it('requests-oauthlib speaks to the /o/ paths: password grant, refresh, userinfo, client credentials', async () => {
    const app = seeded.applications.password;
    const user = userNamed(seeded, 'hal.md5');
    const env = { OAUTHLIB_INSECURE_TRANSPORT: '1' };
    const legacy = await django.script(
      'oauth_client.py',
      [
        'password',
        rig.issuer,
        app.client_id,
        app.client_secret,
        user.username,
        user.password,
        'openid read write',
      ],
      env,
    );
    expect({ code: legacy.code, stderr: legacy.stderr }).toEqual({ code: 0, stderr: '' });
    const out = JSON.parse(legacy.stdout) as {
      token: Record<string, unknown>;
      refreshed: Record<string, unknown>;
      userinfo: { status: number; body: Record<string, unknown> };
    };
    expect(out.token).toMatchObject({
      token_type: 'Bearer',
      access_token: expect.any(String),
      refresh_token: expect.any(String),
    });
    expect(out.refreshed.access_token).toEqual(expect.any(String));
    expect(out.refreshed.access_token).not.toBe(out.token.access_token);
    expect(out.userinfo).toEqual({ status: 200, body: expect.objectContaining({ sub: expect.any(String) }) });

    const service = seeded.applications.service;
    const backend = await django.script(
      'oauth_client.py',
      ['client_credentials', rig.issuer, service.client_id, service.client_secret, 'read'],
      env,
    );
    expect({ code: backend.code, stderr: backend.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(backend.stdout).token).toMatchObject({
      access_token: expect.any(String),
      // oauthlib hands the granted scope back as a list.
      scope: ['read'],
    });
  });

  it('a second run changes nothing: no duplicates, rehashed passwords and consumed tokens stay as they are', async () => {
    const before = await rig.counts();
    const ada = await rig.account('ada.pbkdf2');
    const result = await rig.run([...importArgs, '--json']);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(await rig.counts()).toEqual(before);
    expect(await rig.account('ada.pbkdf2')).toEqual(ada);
    // root's DOT refresh token was consumed at Gatehouse: the second run does not bring it back.
    const reuse = await oToken(
      rig,
      { grant_type: 'refresh_token', refresh_token: dot.root.refresh_token },
      seeded.applications.password,
    );
    expect(reuse.status).toBe(400);
    expect((await oIntrospect(rig, dot.ada.access_token, seeded)).body.active).toBe(true);
  });
});
