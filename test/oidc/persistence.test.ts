/**
 * A restart loses nothing: clients, accounts, grants, tokens and signing keys are all in the database,
 * so a node started again on the same database carries on where the last one stopped.
 */
import { discover, oidc } from '../support/rp';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort, startTestServer } from '../support/server';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ persistent: true });
});

afterAll(async () => {
  await database?.drop();
});

async function kids(issuer: string): Promise<string[]> {
  const { keys } = (await (await fetch(`${issuer}/jwks`)).json()) as { keys: { kid: string }[] };
  return keys.map((k) => k.kid).sort();
}

it('keeps clients, accounts, tokens, refresh tokens and signing keys across a restart', async () => {
  const port = await freePort();
  const first = await startTestServer({ database, port });
  await first.services.clients.save({
    client_id: 'restart-client',
    client_secret: 'restart-secret',
    grant_types: ['password', 'refresh_token', 'client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'openid offline_access profile',
  });
  await first.services.accounts.create({
    username: 'restart-user',
    password: 'restart-pass',
    givenName: 'Rita',
  });
  const rp = await discover(first.issuer, 'restart-client', 'restart-secret');
  const tokens = await oidc.genericGrantRequest(rp, 'password', {
    username: 'restart-user',
    password: 'restart-pass',
    scope: 'openid offline_access profile',
  });
  const machine = await oidc.clientCredentialsGrant(rp);
  const kidsBefore = await kids(first.issuer);
  await first.close();

  // Same port, same issuer, same database: a new process in all but name.
  const second = await startTestServer({ database, port });
  try {
    expect(await kids(second.issuer)).toEqual(kidsBefore);
    const rp2 = await discover(second.issuer, 'restart-client', 'restart-secret');
    expect((await oidc.tokenIntrospection(rp2, tokens.access_token)).active).toBe(true);
    expect((await oidc.tokenIntrospection(rp2, machine.access_token)).active).toBe(true);

    const refreshed = await oidc.refreshTokenGrant(rp2, tokens.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    // The new ID token is signed with a key from before the restart and verified by openid-client.
    expect(refreshed.claims()).toMatchObject({ sub: tokens.claims()!.sub });
    const userinfo = await oidc.fetchUserInfo(rp2, refreshed.access_token, tokens.claims()!.sub);
    expect(userinfo).toMatchObject({ given_name: 'Rita', preferred_username: 'restart-user' });
  } finally {
    await second.close();
  }
});
