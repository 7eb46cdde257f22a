/**
 * Moving off a real django-oauth-toolkit project whose database Gatehouse cannot read (SQLite here):
 * `manage.py dumpdata auth.user auth.group oauth2_provider`, then `gatehouse import django
 * --dumpdata FILE.json` (issue 16). Users sign in with their old passwords, clients authenticate
 * with their old secrets, DOT's tokens introspect and refresh at the /o/ paths.
 */
import {
  authenticateEveryClient,
  expectedIntrospections,
  expectedSignIns,
  introspectDotTokens,
  oToken,
  signInEveryone,
} from '../support/django/checks';
import { issueDotTokens, type DotTokens } from '../support/django/dot-tokens';
import { GatehouseRig } from '../support/django/gatehouse';
import { createDjangoProject, describeWithDjango, type DjangoProject, type Seeded } from '../support/django';

const describeIfDjango = describeWithDjango('test/import/django-dumpdata.test.ts');

jest.setTimeout(120_000);

describeIfDjango('gatehouse import django --dumpdata, from a real DOT project on SQLite', () => {
  let django: DjangoProject;
  let seeded: Seeded;
  let dot: DotTokens;
  let rig: GatehouseRig;
  let dump: string;

  beforeAll(async () => {
    django = await createDjangoProject('sqlite');
    await django.manage(['migrate', '-v0']);
    seeded = await django.seed();
    const server = await django.runserver();
    dot = await issueDotTokens(server, seeded);
    await server.stop();
    dump = await django.dumpdata();
    rig = await GatehouseRig.create();
  }, 180_000);

  afterAll(async () => {
    await rig?.close();
    await django?.close();
  });

  it('imports the dump', async () => {
    const result = await rig.run(['import', 'django', '--dumpdata', dump, '--allow-weak-hashes', '--json']);
    await rig.start();
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(JSON.parse(result.stdout)).toEqual(expect.any(Object));
    for (const user of seeded.users) expect(await rig.account(user.username)).toBeDefined();
    expect((await rig.account('cleo.argon2id'))?.roles).toEqual(['editors', 'support']);
    expect((await rig.account('gone.inactive'))?.disabled).toBe(true);
  });

  it('every user signs in with the old password, and the hash is bcrypt afterwards', async () => {
    expect(await signInEveryone(rig, seeded)).toEqual(expectedSignIns(seeded));
  });

  it('every confidential client authenticates with its old secret, the make_password one too', async () => {
    expect(await authenticateEveryClient(rig, seeded, dot.ada.access_token)).toEqual({
      password: 200,
      service: 200,
      resource_server: 200,
      hashed_service: 200,
      web: 200,
      hybrid: 200,
    });
  });

  it("DOT's tokens introspect as they were, and a DOT refresh token refreshes", async () => {
    expect(await introspectDotTokens(rig, seeded, dot)).toEqual(expectedIntrospections(seeded));
    const refreshed = await oToken(
      rig,
      { grant_type: 'refresh_token', refresh_token: dot.ada.refresh_token },
      seeded.applications.password,
    );
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).toEqual(expect.any(String));
    expect(refreshed.body.refresh_token).not.toBe(dot.ada.refresh_token);
  });

  it('a second run of the same dump changes nothing', async () => {
    const before = await rig.counts();
    const result = await rig.run(['import', 'django', '--dumpdata', dump, '--allow-weak-hashes', '--json']);
    expect(result.code).toBe(0);
    expect(await rig.counts()).toEqual(before);
  });
});
