/**
 * DPoP (RFC 9449) end to end with openid-client's DPoP support, on two nodes behind one public
 * origin (both ISSUER the same, PROXY on, the "load balancer" a custom fetch that picks the node and
 * sends X-Forwarded-Host): bound access and refresh tokens (cnf.jkt, token_type DPoP), a public
 * client's refresh token useless without its key, proofs used once across nodes (the replay store is
 * the database), nonces of one node accepted by the other (one nonce secret), and /api with DPoP.
 * Two nodes on PostgreSQL; on the embedded database (one process's) both are the same node.
 */
import { SignJWT, calculateJwkThumbprint, exportJWK } from 'jose';
import { randomUUID, createHash } from 'node:crypto';
import { ALICE, DEMO_SERVICE, DEMO_SPA, DEMO_WEB } from '../support/fixtures';
import { basic, introspect } from '../support/http';
import { discover, oidc } from '../support/rp';
import { freePort, startTestServer, type TestServer } from '../support/server';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../support/database';
import { newBrowser, signInAndAllow, start } from '../interactions/support/flow';

type KeyPair = Awaited<ReturnType<typeof oidc.randomDPoPKeyPair>>;

const nodes = {} as { a: TestServer; b: TestServer };
let database: TestDatabase;
let issuer: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  const env = { ISSUER: issuer, PROXY: 'true' };
  nodes.a = await startTestServer({ database, port, env });
  // The embedded database lives in one process: there the "other node" is the same one.
  nodes.b = usingPostgres ? await startTestServer({ database, env }) : nodes.a;
});

afterAll(async () => {
  await Promise.all([...new Set([nodes.a, nodes.b])].map((node) => node?.close()));
  await database?.drop();
});

/** A request to the public origin, delivered to one node as a proxy would forward it. */
function viaNode(node: TestServer, url: string | URL, init: RequestInit = {}): Promise<Response> {
  const target = new URL(url);
  const { host } = target;
  const own = new URL(node.url);
  target.host = own.host;
  const headers = new Headers(init.headers);
  headers.set('x-forwarded-host', host);
  return fetch(target, { ...init, headers, redirect: 'manual' });
}

/** A relying party whose requests go to whichever node `route.node` names; `route.seen` logs them. */
async function relyingParty(clientId: string, secret?: string) {
  const rp = await discover(issuer, clientId, secret);
  const route = {
    node: nodes.a,
    seen: [] as { node: TestServer; url: string; dpop: string | null; status: number }[],
  };
  rp[oidc.customFetch] = async (url, options) => {
    const res = await viaNode(route.node, url, options as RequestInit);
    const dpop = new Headers(options.headers as ConstructorParameters<typeof Headers>[0]).get('dpop');
    route.seen.push({ node: route.node, url: String(url), dpop, status: res.status });
    return res;
  };
  return { rp, route };
}

/** A DPoP proof made by hand (RFC 9449 §4.2), for what openid-client would never send. */
async function proof(
  keys: KeyPair,
  htm: string,
  htu: string,
  claims: { ath?: string; nonce?: string; jti?: string; iat?: number } = {},
): Promise<string> {
  const jwk = await exportJWK(keys.publicKey);
  return new SignJWT({ htm, htu, jti: claims.jti ?? randomUUID(), ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
    .setIssuedAt(claims.iat)
    .sign(keys.privateKey);
}

const ath = (token: string) => createHash('sha256').update(token).digest('base64url');
const jktOf = async (keys: KeyPair) => calculateJwkThumbprint(await exportJWK(keys.publicKey));
const payloadOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

/** Signs ALICE in with the client through the pages and redeems the code with a DPoP proof. */
async function signInWithDpop(rp: oidc.Configuration, redirectUri: string, dpop: oidc.DPoPHandle) {
  const browser = newBrowser();
  const started = await start(browser, rp, redirectUri, {
    scope: 'openid profile offline_access',
    prompt: 'consent',
  });
  const callback = await signInAndAllow(browser, started);
  return oidc.authorizationCodeGrant(
    rp,
    callback,
    {
      pkceCodeVerifier: started.verifier,
      expectedState: started.state,
      expectedNonce: started.nonce,
      idTokenExpected: true,
    },
    undefined,
    { DPoP: dpop },
  );
}

describe('a public client (demo-spa)', () => {
  let keys: KeyPair;
  let tokens: Awaited<ReturnType<typeof signInWithDpop>>;
  let party: Awaited<ReturnType<typeof relyingParty>>;

  beforeAll(async () => {
    party = await relyingParty(DEMO_SPA.id);
    keys = await oidc.randomDPoPKeyPair('ES256');
    tokens = await signInWithDpop(party.rp, DEMO_SPA.redirectUri, oidc.getDPoPHandle(party.rp, keys));
  });

  it('gets a DPoP access token bound to its key (cnf.jkt in introspection, token_type DPoP)', async () => {
    expect(tokens.token_type).toBe('dpop');
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const answer = await introspect(nodes.b.url, tokens.access_token);
    expect(answer.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: await jktOf(keys) } });
  });

  it('reads userinfo with DPoP on either node', async () => {
    const dpop = oidc.getDPoPHandle(party.rp, keys);
    for (const node of [nodes.a, nodes.b]) {
      party.route.node = node;
      const info = await oidc.fetchUserInfo(party.rp, tokens.access_token, tokens.claims()!.sub, {
        DPoP: dpop,
      });
      expect(info).toMatchObject({ sub: ALICE.id });
    }
    party.route.node = nodes.a;
  });

  it('refreshes on the other node with the key; the refresh token is bound to it', async () => {
    const refreshToken = tokens.refresh_token!;
    // Without a proof, or with another key's, the bound refresh token is refused (RFC 9449 §5).
    party.route.node = nodes.b;
    await expect(oidc.refreshTokenGrant(party.rp, refreshToken)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    const other = oidc.getDPoPHandle(party.rp, await oidc.randomDPoPKeyPair('ES256'));
    await expect(
      oidc.refreshTokenGrant(party.rp, refreshToken, undefined, { DPoP: other }),
    ).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    const refreshed = await oidc.refreshTokenGrant(party.rp, refreshToken, undefined, {
      DPoP: oidc.getDPoPHandle(party.rp, keys),
    });
    party.route.node = nodes.a;
    expect(refreshed.token_type).toBe('dpop');
    const answer = await introspect(nodes.a.url, refreshed.refresh_token!);
    expect(answer.body).toMatchObject({ active: true, cnf: { jkt: await jktOf(keys) } });
  });
});

describe('a confidential client (demo-web)', () => {
  it('gets a bound access token; its refresh token is not bound, the refreshed access token is', async () => {
    const { rp } = await relyingParty(DEMO_WEB.id, DEMO_WEB.secret);
    const keys = await oidc.randomDPoPKeyPair('ES256');
    const tokens = await signInWithDpop(rp, DEMO_WEB.redirectUri, oidc.getDPoPHandle(rp, keys));
    const jkt = await jktOf(keys);
    expect((await introspect(issuer, tokens.access_token)).body).toMatchObject({
      token_type: 'DPoP',
      cnf: { jkt },
    });
    const refresh = await introspect(issuer, tokens.refresh_token!);
    expect(refresh.body).toMatchObject({ active: true });
    expect(refresh.body.cnf).toBeUndefined();
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!, undefined, {
      DPoP: oidc.getDPoPHandle(rp, keys),
    });
    expect((await introspect(issuer, refreshed.access_token)).body).toMatchObject({ cnf: { jkt } });
  });
});

describe('proofs and nonces across the two nodes', () => {
  const tokenUrl = () => `${issuer}/token`;
  const clientCredentials = (node: TestServer, dpop: string) =>
    viaNode(node, tokenUrl(), {
      method: 'POST',
      headers: {
        authorization: basic(DEMO_SERVICE.id, DEMO_SERVICE.secret),
        'content-type': 'application/x-www-form-urlencoded',
        dpop,
      },
      body: 'grant_type=client_credentials',
    });

  it('refuses a proof used on node A when it is replayed on node B (same jti)', async () => {
    const keys = await oidc.randomDPoPKeyPair('ES256');
    const used = await proof(keys, 'POST', tokenUrl());
    const first = await clientCredentials(nodes.a, used);
    expect(first.status).toBe(200);
    expect(((await first.json()) as { token_type: string }).token_type).toBe('DPoP');
    const replay = await clientCredentials(nodes.b, used);
    expect(replay.status).toBe(400);
    // lib/helpers/validate_dpop.js checkDpopReplay: invalid_grant at the token endpoint.
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
    // The same key with a fresh jti is fine: it is the proof, not the key, that is used up.
    expect((await clientCredentials(nodes.b, await proof(keys, 'POST', tokenUrl()))).status).toBe(200);
  });

  it("accepts node A's nonce on node B; a proof too old is answered use_dpop_nonce, then works with it", async () => {
    const keys = await oidc.randomDPoPKeyPair('ES256');
    const first = await clientCredentials(nodes.a, await proof(keys, 'POST', tokenUrl()));
    const nonce = first.headers.get('dpop-nonce');
    expect(nonce).toEqual(expect.any(String));
    // Outside the iat window a proof needs the server's nonce (RFC 9449 §8).
    const old = Math.floor(Date.now() / 1000) - 3600;
    const stale = await clientCredentials(nodes.b, await proof(keys, 'POST', tokenUrl(), { iat: old }));
    expect(stale.status).toBe(400);
    expect(await stale.json()).toMatchObject({ error: 'use_dpop_nonce' });
    expect(stale.headers.get('dpop-nonce')).toEqual(expect.any(String));
    const withNonce = await clientCredentials(
      nodes.b,
      await proof(keys, 'POST', tokenUrl(), { iat: old, nonce: nonce! }),
    );
    expect(withNonce.status).toBe(200);
    const forged = await clientCredentials(
      nodes.b,
      await proof(keys, 'POST', tokenUrl(), { nonce: 'x'.repeat(43) }),
    );
    expect(await forged.json()).toMatchObject({ error: 'use_dpop_nonce' });
  });

  it('openid-client carries the nonce it got from node A into its proof for node B', async () => {
    const party = await relyingParty(DEMO_SERVICE.id, DEMO_SERVICE.secret);
    const dpop = oidc.getDPoPHandle(party.rp, await oidc.randomDPoPKeyPair('ES256'));
    await oidc.clientCredentialsGrant(party.rp, {}, { DPoP: dpop });
    party.route.node = nodes.b;
    const before = party.route.seen.length;
    const second = await oidc.clientCredentialsGrant(party.rp, {}, { DPoP: dpop });
    expect(second.token_type).toBe('dpop');
    // One request, no use_dpop_nonce retry: node B took the nonce node A handed out.
    const toB = party.route.seen.slice(before);
    expect(toB).toHaveLength(1);
    expect(toB[0]!.status).toBe(200);
    expect(payloadOf(toB[0]!.dpop!).nonce).toEqual(expect.any(String));
  });
});

describe('/api with a DPoP-bound token', () => {
  let keys: KeyPair;
  let accessToken: string;
  let party: Awaited<ReturnType<typeof relyingParty>>;
  const profileUrl = () => `${issuer}/api/profile`;

  beforeAll(async () => {
    party = await relyingParty(DEMO_SPA.id);
    keys = await oidc.randomDPoPKeyPair('ES256');
    accessToken = (await signInWithDpop(party.rp, DEMO_SPA.redirectUri, oidc.getDPoPHandle(party.rp, keys)))
      .access_token;
  });

  const getProfile = (node: TestServer, authorization: string, dpop?: string) =>
    viaNode(node, profileUrl(), { headers: { authorization, ...(dpop && { dpop }) } });

  const expectDpopRefusal = async (res: Response) => {
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_token"/);
  };

  it('answers GET /api/profile with openid-client DPoP, on both nodes', async () => {
    const dpop = oidc.getDPoPHandle(party.rp, keys);
    for (const node of [nodes.a, nodes.b]) {
      party.route.node = node;
      const res = await oidc.fetchProtectedResource(
        party.rp,
        accessToken,
        new URL(profileUrl()),
        'GET',
        undefined,
        undefined,
        {
          DPoP: dpop,
        },
      );
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ username: ALICE.username });
    }
    party.route.node = nodes.a;
  });

  it('refuses the token as Bearer, or as DPoP without a proof', async () => {
    await expectDpopRefusal(await getProfile(nodes.a, `Bearer ${accessToken}`));
    await expectDpopRefusal(await getProfile(nodes.a, `DPoP ${accessToken}`));
  });

  it("refuses a proof of another key, another URL or method, or without the token's hash", async () => {
    const other = await oidc.randomDPoPKeyPair('ES256');
    const hash = ath(accessToken);
    for (const bad of [
      await proof(other, 'GET', profileUrl(), { ath: hash }),
      await proof(keys, 'GET', `${issuer}/api/userinfo`, { ath: hash }),
      await proof(keys, 'POST', profileUrl(), { ath: hash }),
      await proof(keys, 'GET', profileUrl()),
    ])
      await expectDpopRefusal(await getProfile(nodes.a, `DPoP ${accessToken}`, bad));
  });

  it('refuses a proof replayed on the other node', async () => {
    const once = await proof(keys, 'GET', profileUrl(), { ath: ath(accessToken) });
    expect((await getProfile(nodes.a, `DPoP ${accessToken}`, once)).status).toBe(200);
    await expectDpopRefusal(await getProfile(nodes.b, `DPoP ${accessToken}`, once));
  });

  it('answers use_dpop_nonce for a proof too old, with a nonce that then works', async () => {
    const old = Math.floor(Date.now() / 1000) - 3600;
    const stale = await getProfile(
      nodes.a,
      `DPoP ${accessToken}`,
      await proof(keys, 'GET', profileUrl(), { ath: ath(accessToken), iat: old }),
    );
    expect(stale.status).toBe(401);
    expect(stale.headers.get('www-authenticate')).toMatch(/^DPoP .*error="use_dpop_nonce"/);
    const nonce = stale.headers.get('dpop-nonce')!;
    const retried = await getProfile(
      nodes.b,
      `DPoP ${accessToken}`,
      await proof(keys, 'GET', profileUrl(), { ath: ath(accessToken), iat: old, nonce }),
    );
    expect(retried.status).toBe(200);
  });

  it('keeps refusing an unbound token presented as DPoP', async () => {
    const res = await getProfile(
      nodes.a,
      `DPoP not-a-token`,
      await proof(keys, 'GET', profileUrl(), { ath: ath('not-a-token') }),
    );
    await expectDpopRefusal(res);
  });
});
