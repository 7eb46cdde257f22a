/**
 * Several processes on one PostgreSQL behave as one provider: what one issues, the other knows, and
 * keys rotated on one are served and trusted by the other. (The embedded database is single-process,
 * so this suite runs with DATABASE_URL only; CI runs every suite both ways.)
 */
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { loadConfig } from '../../src/config';
import { openServices, type Services } from '../../src/services';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../support/database';
import { ALICE, DEMO_CLI, DEMO_SERVICE } from '../support/fixtures';
import { introspect, tokenRequest } from '../support/http';
import { passwordGrant } from '../support/tokens';
import { startProcess, type NodeProcess } from '../support/process';
import { discover, oidc } from '../support/rp';
import { freePort, testEnv } from '../support/server';

const describeOnPostgres = usingPostgres ? describe : describe.skip;

describeOnPostgres('two processes on one PostgreSQL', () => {
  let database: TestDatabase;
  let a: NodeProcess;
  let b: NodeProcess;
  let issuer: string;
  let services: Services;

  beforeAll(async () => {
    database = await createTestDatabase();
    // One issuer for both nodes, as behind a load balancer; each listens on its own port.
    const portA = await freePort();
    const portB = await freePort();
    issuer = `http://127.0.0.1:${portA}`;
    const env = (port: number) => testEnv(port, database, { ISSUER: issuer, KEYS_REFRESH_INTERVAL: '0.5' });
    a = await startProcess(env(portA));
    b = await startProcess(env(portB));
    services = await openServices(loadConfig(env(portA)));
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await services?.db.destroy();
    await database?.drop();
  });

  async function introspectOnB(token: string) {
    // The issuer is A's URL, so the relying party talks to A; this request goes to B directly.
    const res = await introspect(b.url, token);
    expect(res.status).toBe(200);
    return res.body as { active: boolean; client_id?: string };
  }

  it('introspects on one node a token issued by the other', async () => {
    const rp = await discover(issuer, DEMO_SERVICE.id, DEMO_SERVICE.secret);
    const tokens = await oidc.clientCredentialsGrant(rp);
    expect(await introspectOnB(tokens.access_token)).toMatchObject({
      active: true,
      client_id: 'demo-service',
    });
    await oidc.tokenRevocation(rp, tokens.access_token);
    expect(await introspectOnB(tokens.access_token)).toEqual({ active: false });
  });

  it('sees at once a client secret rotated by another process (the cache hears it)', async () => {
    const token = (node: NodeProcess, secret: string) =>
      tokenRequest(node.url, { grant_type: 'client_credentials' }, { ...DEMO_SERVICE, secret }).then(
        (r) => r.status,
      );
    // Both nodes have the client in their caches now.
    expect(await token(a, DEMO_SERVICE.secret)).toBe(200);
    expect(await token(b, DEMO_SERVICE.secret)).toBe(200);

    const secret = (await services.clients.rotateSecret('demo-service'))!;
    // NOTIFY is delivered at commit; allow the listeners a moment to hear it.
    const deadline = Date.now() + 2000;
    for (const node of [a, b]) {
      while ((await token(node, DEMO_SERVICE.secret)) !== 401) {
        if (Date.now() > deadline) throw new Error(`${node.url} still accepts the old secret`);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await token(node, secret)).toBe(200);
    }
    await services.clients.update(DEMO_SERVICE.id, { client_secret: DEMO_SERVICE.secret });
  });

  it('serves and trusts keys rotated elsewhere, old and new alike', async () => {
    const jwksOf = async (url: string) =>
      ((await (await fetch(`${url}/jwks`)).json()) as { keys: { kid: string; alg: string }[] }).keys;
    const cli = await discover(issuer, DEMO_CLI.id, DEMO_CLI.secret);
    const before = await oidc.genericGrantRequest(cli, 'password', {
      username: ALICE.username,
      password: ALICE.password,
      scope: 'openid',
    });
    const oldKid = decodeProtectedHeader(before.id_token!).kid!;

    const newKids = await services.keys.rotate(3600);
    for (const node of [a, b]) {
      const deadline = Date.now() + 10_000;
      while (!(await jwksOf(node.url)).some((k) => newKids.includes(k.kid))) {
        if (Date.now() > deadline) throw new Error(`${node.url} did not pick up the rotated keys`);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect((await jwksOf(node.url)).map((k) => k.kid)).toEqual(
        expect.arrayContaining([oldKid, ...newKids]),
      );
    }

    // Node B now signs with the new RS256 key; the token from before still verifies on B's JWKS.
    const res = await passwordGrant(b.url, { scope: 'openid' });
    const after = res.body as { id_token: string };
    expect(newKids).toContain(decodeProtectedHeader(after.id_token).kid);
    const jwks = createRemoteJWKSet(new URL(`${b.url}/jwks`));
    for (const token of [before.id_token!, after.id_token]) {
      const { payload } = await jwtVerify(token, jwks, { issuer, audience: 'demo-cli' });
      expect(payload.sub).toBe(before.claims()!.sub);
    }
  });
});
