/**
 * OpenID Connect Back-Channel Logout 1.0 end to end: a real node, relying parties signed in through
 * the pages with openid-client, and real receivers on 127.0.0.1 standing in for their
 * backchannel_logout_uri. Each way a session ends at Gatehouse (RP-initiated logout, the account
 * API's sign-out, an administrator disabling the account) delivers exactly one logout token per
 * client, valid as §2.6 says; failures are retried after a backoff, hangs are timed out, an
 * unreachable receiver is counted as failed, nobody sees a 5xx, and a delivery pending when a node
 * stops is delivered by the next one.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { Browser, expectCallback, expectPage, formsOf } from '../support/browser';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ADMIN, TEST_PASSWORD } from '../support/fixtures';
import { discover, oidc } from '../support/rp';
import {
  freePort,
  startLoggedNode,
  startTestServer,
  type LoggedNode,
  type TestServer,
} from '../support/server';
import { accessToken } from '../support/tokens';
import { eventually, sleep } from '../support/wait';
import { redeem, signInAndAllow, start } from '../interactions/support/flow';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const REDIRECT_URI = 'http://localhost:9090/callback';

interface Received {
  token: string;
  contentType: string | undefined;
  at: number;
}

/** A backchannel_logout_uri: records each POST's logout_token; `respond` queues answers. */
async function startLogoutReceiver() {
  const received: Received[] = [];
  const respond: (number | 'hang' | 'drop')[] = [];
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      received.push({
        token: body.get('logout_token') ?? '',
        contentType: req.headers['content-type'],
        at: Date.now(),
      });
      const next = respond.shift() ?? 200;
      if (next === 'hang') open.add(res);
      else if (next === 'drop') res.socket?.destroy();
      else res.writeHead(next).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/backchannel-logout`,
    received,
    respond,
    /** The tokens received for one subject. */
    for(sub: string): Received[] {
      return received.filter((r) => decodeJwt(r.token).sub === sub);
    },
    /** Breaks the connections of the requests left hanging. */
    dropHanging() {
      for (const res of open) res.socket?.destroy();
      open.clear();
    },
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
type Receiver = Awaited<ReturnType<typeof startLogoutReceiver>>;

interface TestClient {
  id: string;
  secret: string;
  sessionRequired: boolean;
}

/** A first-party web client registered for back-channel logout (through the store, as H2's validator lands). */
async function registerClient(
  node: TestServer,
  client: TestClient,
  logoutUri: string,
): Promise<oidc.Configuration> {
  await node.services.clients.save({
    client_id: client.id,
    client_name: client.id,
    client_secret: client.secret,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
    scope: 'openid profile account',
    first_party: true,
    backchannel_logout_uri: logoutUri,
    backchannel_logout_session_required: client.sessionRequired,
  });
  return discover(node.issuer, client.id, client.secret);
}

let named = 0;
async function newAccount(node: TestServer): Promise<{ id: string; username: string }> {
  named += 1;
  const account = await node.services.accounts.create({
    username: `bcl-${named}-${process.pid}`,
    password: TEST_PASSWORD,
  });
  return { id: account.id, username: account.username };
}

interface SignedIn {
  browser: Browser;
  /** Per client: its ID token's claims and its access token. */
  tokens: { claims: JWTPayload; idToken: string; accessToken: string }[];
}

/** One browser signs in to each relying party in turn: the login page once, then single sign-on. */
async function signInTo(rps: oidc.Configuration[], username: string): Promise<SignedIn> {
  const browser = new Browser(['http://localhost:9090/']);
  const tokens: SignedIn['tokens'] = [];
  for (const [i, rp] of rps.entries()) {
    const started = await start(browser, rp, REDIRECT_URI, { scope: 'openid account' });
    const callback =
      i === 0
        ? await signInAndAllow(browser, started, username, TEST_PASSWORD)
        : expectCallback(started.outcome);
    const set = await redeem(rp, callback, started);
    tokens.push({ claims: set.claims()!, idToken: set.id_token!, accessToken: set.access_token });
  }
  return { browser, tokens };
}

/** RP-initiated logout of the whole session, confirmed on the page; the answer's status and time. */
async function logOut(browser: Browser, rp: oidc.Configuration, idToken: string) {
  const confirm = expectPage(
    await browser.go(oidc.buildEndSessionUrl(rp, { id_token_hint: idToken }).toString()),
  );
  const began = Date.now();
  const done = expectPage(await browser.submit(confirm, '/session/end/confirm', { logout: 'yes' }));
  return { status: done.status, ms: Date.now() - began };
}

/** Checks a logout token as an RP must (§2.6) and returns its claims. */
async function verifyLogoutToken(
  issuer: string,
  token: string,
  clientId: string,
): Promise<JWTPayload & { events?: unknown; sid?: string }> {
  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer,
    audience: clientId,
    typ: 'logout+jwt',
    algorithms: ['RS256'],
    maxTokenAge: 120,
  });
  expect(protectedHeader.typ).toBe('logout+jwt');
  expect(typeof payload.iat).toBe('number');
  expect(payload.jti).toEqual(expect.any(String));
  expect(payload.events).toEqual({ [EVENT]: {} });
  expect(payload).not.toHaveProperty('nonce');
  expect(payload.sub ?? (payload as { sid?: string }).sid).toBeDefined();
  return payload as JWTPayload & { events?: unknown; sid?: string };
}

const A: TestClient = { id: 'bcl-rp-a', secret: 'bcl-rp-a-secret', sessionRequired: true };
const B: TestClient = { id: 'bcl-rp-b', secret: 'bcl-rp-b-secret', sessionRequired: false };

describe('back-channel logout', () => {
  const TIMEOUT_MS = 500;
  let node: LoggedNode;
  let receiverA: Receiver;
  let receiverB: Receiver;
  let rpA: oidc.Configuration;
  let rpB: oidc.Configuration;

  beforeAll(async () => {
    node = await startLoggedNode({
      BACKCHANNEL_LOGOUT_TIMEOUT_MS: String(TIMEOUT_MS),
      BACKCHANNEL_LOGOUT_RETRIES: '3',
    });
    [receiverA, receiverB] = await Promise.all([startLogoutReceiver(), startLogoutReceiver()]);
    rpA = await registerClient(node, A, receiverA.url);
    rpB = await registerClient(node, B, receiverB.url);
  });

  afterAll(async () => {
    await node?.stop();
    await Promise.all([receiverA?.close(), receiverB?.close()]);
  });

  async function counts(): Promise<
    Record<string, { delivered: number; failed: number; retried: number; pending: number }>
  > {
    const admin = await accessToken(node.issuer, 'admin', { username: ADMIN.username });
    const res = await fetch(`${node.issuer}/api/admin/backchannel-logout`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { clients: ({ client_id: string } & Record<string, number>)[] };
    return Object.fromEntries(body.clients.map(({ client_id, ...rest }) => [client_id, rest])) as never;
  }

  /** Every client of the session got exactly one valid logout token for `sub`, with sid where asked. */
  async function expectOneTokenEach(signedIn: SignedIn, sub: string): Promise<void> {
    const [a, b] = await Promise.all([
      eventually(() => (receiverA.for(sub).length ? receiverA.for(sub) : undefined)),
      eventually(() => (receiverB.for(sub).length ? receiverB.for(sub) : undefined)),
    ]);
    // Time for a duplicate to show up, had there been one.
    await sleep(1500);
    expect(receiverA.for(sub)).toHaveLength(1);
    expect(receiverB.for(sub)).toHaveLength(1);
    expect(a[0]!.contentType).toBe('application/x-www-form-urlencoded');
    const claimsA = await verifyLogoutToken(node.issuer, a[0]!.token, A.id);
    const claimsB = await verifyLogoutToken(node.issuer, b[0]!.token, B.id);
    expect(claimsA.sub).toBe(sub);
    expect(claimsB.sub).toBe(sub);
    // §2.4: sid is the one the ID token carried; sent to the client that requires it.
    expect(claimsA.sid).toBe(signedIn.tokens[0]!.claims.sid);
    expect(claimsA.sid).toEqual(expect.any(String));
    expect(claimsB).not.toHaveProperty('sid');
    expect(claimsA.jti).not.toBe(claimsB.jti);
  }

  it('advertises back-channel logout in discovery', async () => {
    const metadata = rpA.serverMetadata();
    expect(metadata.backchannel_logout_supported).toBe(true);
    expect(metadata.backchannel_logout_session_supported).toBe(true);
  });

  it('RP-initiated logout sends each client of the session one logout token', async () => {
    const account = await newAccount(node);
    const signedIn = await signInTo([rpA, rpB], account.username);
    const { status } = await logOut(signedIn.browser, rpA, signedIn.tokens[0]!.idToken);
    expect(status).toBe(200);
    await expectOneTokenEach(signedIn, account.id);
  });

  it('signing a session out through the account API sends them too', async () => {
    const account = await newAccount(node);
    const signedIn = await signInTo([rpA, rpB], account.username);
    const token = signedIn.tokens[0]!.accessToken;
    const list = await fetch(`${node.issuer}/api/account/sessions`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const [session] = (await list.json()) as { id: string }[];
    const res = await fetch(`${node.issuer}/api/account/sessions/${session!.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(204);
    await expectOneTokenEach(signedIn, account.id);
  });

  it('POST /api/logout by one client ends the session and tells the other clients too', async () => {
    const account = await newAccount(node);
    const signedIn = await signInTo([rpA, rpB], account.username);
    const res = await fetch(`${node.issuer}/api/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${signedIn.tokens[0]!.accessToken}` },
    });
    expect(res.status).toBe(204);
    await expectOneTokenEach(signedIn, account.id);
    expect(await node.services.sessions.list(account.id)).toEqual([]);
  });

  it("the account page's Sign out of another device sends them too", async () => {
    const account = await newAccount(node);
    const signedIn = await signInTo([rpA, rpB], account.username);
    // Another browser opens /account (the login page of gatehouse-account) and signs the first out.
    const here = new Browser(['http://localhost:9090/']);
    const login = expectPage(await here.go(`${node.issuer}/account`));
    const page = expectPage(
      await here.submit(login, '/login', { username: account.username, password: TEST_PASSWORD }),
    );
    const sessions = await node.services.sessions.list(account.id);
    const other = sessions.find((session) => session.clientIds.includes(A.id))!;
    const form = formsOf(page).find(
      (f) => new URL(f.action).pathname === `/account/sessions/${other.id}/revoke`,
    );
    const ended = expectPage(await here.submit(form!));
    expect(ended.url).toBe(`${node.issuer}/account?done=session-ended`);
    await expectOneTokenEach(signedIn, account.id);
  });

  it('an administrator disabling the account ends its sessions with their logout tokens', async () => {
    const account = await newAccount(node);
    const signedIn = await signInTo([rpA, rpB], account.username);
    const admin = await accessToken(node.issuer, 'admin', { username: ADMIN.username });
    const res = await fetch(`${node.issuer}/api/admin/users/${account.id}/disable`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(res.status).toBeLessThan(300);
    await expectOneTokenEach(signedIn, account.id);
  });

  it('a receiver that fails twice gets the token on the third attempt, after a backoff', async () => {
    const before = (await counts())[A.id] ?? { delivered: 0, retried: 0, failed: 0 };
    const account = await newAccount(node);
    const signedIn = await signInTo([rpA], account.username);
    receiverA.respond.push(500, 503);
    expect((await logOut(signedIn.browser, rpA, signedIn.tokens[0]!.idToken)).status).toBe(200);
    const three = await eventually(() =>
      receiverA.for(account.id).length >= 3 ? receiverA.for(account.id) : undefined,
    );
    await sleep(1500);
    expect(receiverA.for(account.id)).toHaveLength(3);
    // Backoff: at least min(timeout, 1 s) before the first retry, doubled before the second.
    expect(three[1]!.at - three[0]!.at).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(three[2]!.at - three[1]!.at).toBeGreaterThanOrEqual(2 * TIMEOUT_MS - 50);
    await verifyLogoutToken(node.issuer, three[2]!.token, A.id);
    const after = (await counts())[A.id]!;
    expect(after.delivered - before.delivered).toBe(1);
    expect(after.retried - before.retried).toBe(2);
    expect(after.failed - before.failed).toBe(0);
    // Logged per attempt with the client and the outcome, never the token.
    const lines = node.logs.filter((l) => l.msg === 'backchannel logout' && l.client_id === A.id);
    expect(lines.map((l) => l.outcome)).toEqual(expect.arrayContaining(['retry', 'delivered']));
    expect(JSON.stringify(node.logs)).not.toContain(three[2]!.token);
    expect(JSON.stringify(node.logs)).not.toContain(three[0]!.token.split('.')[2]);
  });

  it('a receiver that hangs is timed out and tried again', async () => {
    const account = await newAccount(node);
    const signedIn = await signInTo([rpA], account.username);
    receiverA.respond.push('hang');
    const { status, ms } = await logOut(signedIn.browser, rpA, signedIn.tokens[0]!.idToken);
    expect(status).toBe(200);
    expect(ms).toBeLessThan(TIMEOUT_MS * 4);
    const two = await eventually(() =>
      receiverA.for(account.id).length >= 2 ? receiverA.for(account.id) : undefined,
    );
    // The retry came after the timeout and the backoff.
    expect(two[1]!.at - two[0]!.at).toBeGreaterThanOrEqual(2 * TIMEOUT_MS - 50);
    await verifyLogoutToken(node.issuer, two[1]!.token, A.id);
    const line = await eventually(() =>
      node.logs.find((l) => l.client_id === A.id && l.outcome === 'retry' && l.reason === 'timeout'),
    );
    expect(line.attempt).toEqual(expect.any(Number));
  });

  it('an unreachable receiver is counted as failed after the retries; nobody sees a 5xx', async () => {
    const gone: TestClient = { id: 'bcl-rp-gone', secret: 'bcl-rp-gone-secret', sessionRequired: false };
    const rpGone = await registerClient(node, gone, `http://127.0.0.1:${await freePort()}/logout`);
    const account = await newAccount(node);
    const signedIn = await signInTo([rpGone, rpA], account.username);
    const { status } = await logOut(signedIn.browser, rpGone, signedIn.tokens[0]!.idToken);
    expect(status).toBe(200);
    // 1 + 3 attempts, with backoffs of 0.5, 1 and 2 s between them.
    let settled: Awaited<ReturnType<typeof counts>> = {};
    for (const until = Date.now() + 15_000; Date.now() < until; await sleep(200)) {
      settled = await counts();
      if (settled[gone.id]?.failed === 1) break;
    }
    expect(settled[gone.id]).toEqual({ delivered: 0, failed: 1, retried: 3, pending: 0 });
    // The other client of the session was not held up by it.
    expect(receiverA.for(account.id)).toHaveLength(1);
    const attempts = node.logs.filter((l) => l.client_id === gone.id && l.msg === 'backchannel logout');
    expect(attempts.map((l) => [l.attempt, l.outcome])).toEqual([
      [1, 'retry'],
      [2, 'retry'],
      [3, 'retry'],
      [4, 'failed'],
    ]);
  }, 30_000);

  it('the counts are in the OpenAPI document', async () => {
    const document = (await (await fetch(`${node.issuer}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    expect(document.paths['/api/admin/backchannel-logout']?.get?.operationId).toBe(
      'getBackchannelLogoutCounts',
    );
  });
});

describe('back-channel logout across a restart', () => {
  let database: TestDatabase;
  let receiver: Receiver;

  beforeAll(async () => {
    database = await createTestDatabase({ persistent: true });
    receiver = await startLogoutReceiver();
  });

  afterAll(async () => {
    await receiver?.close();
    await database?.drop();
  });

  it('answers the logout at once while the receiver hangs, and the next node delivers what was pending', async () => {
    // A long timeout: the logout page must not wait for it.
    const env = { BACKCHANNEL_LOGOUT_TIMEOUT_MS: '10000', BACKCHANNEL_LOGOUT_RETRIES: '3' };
    const port = await freePort();
    const first = await startTestServer({ database, port, env });
    let second: TestServer | undefined;
    try {
      const rp = await registerClient(first, A, receiver.url);
      const account = await newAccount(first);
      const signedIn = await signInTo([rp], account.username);
      receiver.respond.push('hang');
      const { status, ms } = await logOut(signedIn.browser, rp, signedIn.tokens[0]!.idToken);
      expect(status).toBe(200);
      expect(ms).toBeLessThan(3000);
      await eventually(() => receiver.for(account.id)[0]);
      // The receiver breaks the connection: the attempt fails and its retry waits in the outbox.
      receiver.dropHanging();
      const db = first.services.db;
      const pendingRow = async () =>
        (await db('backchannel_logout_outbox').where({ client_id: A.id, account_id: account.id }).first()) as
          { attempts: number; last_error: string | null } | undefined;
      for (let i = 0; i < 200; i += 1) {
        const row = await pendingRow();
        if (row?.last_error) break;
        await sleep(50);
      }
      expect((await pendingRow())?.attempts).toBe(1);
      await first.close();
      const logs: Record<string, unknown>[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line));
          done();
        },
      });
      second = await startTestServer({ database, port, env, logger: pino({ level: 'info' }, sink) });
      // The broken attempt, then the retry the second node made.
      const delivered = await eventually(() => receiver.for(account.id)[1], 15_000);
      await verifyLogoutToken(second.issuer, delivered.token, A.id);
      await sleep(1000);
      expect(receiver.for(account.id)).toHaveLength(2);
      // The second node made that attempt: the first stopped with the row waiting for its retry.
      expect(logs).toContainEqual(
        expect.objectContaining({ client_id: A.id, attempt: 2, outcome: 'delivered' }),
      );
      expect(await second.services.db('backchannel_logout_outbox').where({ account_id: account.id })).toEqual(
        [],
      );
    } finally {
      await first.close();
      await second?.close();
    }
  }, 60_000);
});
