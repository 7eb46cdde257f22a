/**
 * The registry of APIs is cached per node (every token for an API reads it), and a change made
 * anywhere reaches every node's tokens: at once on the node that wrote it, and through NOTIFY on the
 * others (clients/notifications.ts), as the client cache does.
 */
import { decodeJwt } from 'jose';
import { DEMO } from '../../seeds/demo';
import { usingPostgres } from '../support/database';
import { DEMO_SERVICE } from '../support/fixtures';
import { tokenRequest } from '../support/http';
import { startTestServer, useTwoNodes, type TestServer } from '../support/server';
import { sleep } from '../support/wait';

const API = DEMO.RESOURCE_SERVERS[0]!.identifier;

/** A client credentials token for the demo API: its lifetime, or the error. */
async function apiToken(node: TestServer): Promise<{ status: number; lifetime?: number; error?: string }> {
  const answer = await tokenRequest(
    node.issuer,
    { grant_type: 'client_credentials', resource: API, scope: 'read' },
    DEMO_SERVICE,
  );
  if (answer.status !== 200) return { status: answer.status, error: answer.body.error as string };
  const claims = decodeJwt(answer.body.access_token as string);
  return { status: 200, lifetime: claims.exp! - claims.iat! };
}

/** Asks until `done` holds (another node hears a change within milliseconds), at most 2.5 s. */
async function eventually<T>(ask: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value = await ask();
  for (let i = 0; i < 50 && !done(value); i += 1) {
    await sleep(50);
    value = await ask();
  }
  return value;
}

describe('on one node', () => {
  let node: TestServer;
  beforeAll(async () => {
    node = await startTestServer();
  });
  afterAll(() => node?.stop());

  it('serves the API from its cache and sees its own changes at once', async () => {
    expect(await apiToken(node)).toEqual({ status: 200, lifetime: 600 });
    expect(node.services.resourceServers.cache.get(API)?.ttlSeconds).toBe(600);
    await node.services.resourceServers.update(API, { ttlSeconds: 120 });
    expect(await apiToken(node)).toEqual({ status: 200, lifetime: 120 });
    await node.services.resourceServers.delete(API);
    expect(await apiToken(node)).toEqual({ status: 400, error: 'invalid_target' });
    expect(node.services.resourceServers.cache.get(API)).toBeUndefined();
  });
});

const describeOnPostgres = usingPostgres ? describe : describe.skip;

describeOnPostgres('two nodes on one PostgreSQL', () => {
  const nodes = useTwoNodes();

  it("drops a node's cached API when another node changes or deletes it", async () => {
    const { a, b } = nodes;
    expect(await apiToken(a)).toEqual({ status: 200, lifetime: 600 });
    expect(a.services.resourceServers.cache.get(API)).toBeDefined();

    await b.services.resourceServers.update(API, { ttlSeconds: 120 });
    expect(
      await eventually(
        () => apiToken(a),
        (t) => t.lifetime === 120,
      ),
    ).toEqual({
      status: 200,
      lifetime: 120,
    });

    await b.services.resourceServers.delete(API);
    expect(
      await eventually(
        () => apiToken(a),
        (t) => t.status !== 200,
      ),
    ).toEqual({
      status: 400,
      error: 'invalid_target',
    });
  });
});
