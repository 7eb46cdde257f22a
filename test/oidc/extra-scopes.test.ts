/**
 * EXTRA_SCOPES: scopes the provider knows besides Gatehouse's own (django-oauth-toolkit's `read` and
 * `write`), with no claims: discovery lists them, a client listing them gets them through the password
 * grant and client credentials, and a scope nobody configured is still dropped or refused as before.
 */
import { ALICE } from '../support/fixtures';
import { tokenRequest } from '../support/http';
import { startTestServer, type TestServer } from '../support/server';
import { passwordGrant } from '../support/tokens';

const PASSWORD_CLIENT = { id: 'dot-password', secret: 'dot-password-secret' };
const SERVICE_CLIENT = { id: 'dot-service', secret: 'dot-service-secret' };

async function register(node: TestServer): Promise<void> {
  await node.services.clients.save({
    client_id: PASSWORD_CLIENT.id,
    client_secret: PASSWORD_CLIENT.secret,
    grant_types: ['password'],
    response_types: [],
    redirect_uris: [],
    scope: 'openid profile read write',
  });
  await node.services.clients.save({
    client_id: SERVICE_CLIENT.id,
    client_secret: SERVICE_CLIENT.secret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'read write',
  });
}

async function scopesSupported(issuer: string): Promise<string[]> {
  const doc = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
    scopes_supported: string[];
  };
  return doc.scopes_supported;
}

describe('EXTRA_SCOPES=read,write', () => {
  let node: TestServer;
  beforeAll(async () => {
    node = await startTestServer({ env: { EXTRA_SCOPES: 'read,write' } });
    await register(node);
  });
  afterAll(() => node?.stop());

  it('lists them in discovery beside the built-in scopes', async () => {
    expect(await scopesSupported(node.issuer)).toEqual(
      expect.arrayContaining(['openid', 'profile', 'offline_access', 'read', 'write']),
    );
  });

  it('grants them through the password grant, and drops a scope not configured', async () => {
    const answer = await passwordGrant(node.issuer, {
      scope: 'openid read write delete',
      client: PASSWORD_CLIENT,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.scope).toBe('openid read write');
    // Omitted, the client's registered scope applies (RFC 6749 §3.3).
    const all = await tokenRequest(
      node.issuer,
      { grant_type: 'password', username: ALICE.username, password: ALICE.password },
      PASSWORD_CLIENT,
    );
    expect(all.status).toBe(200);
    expect(all.body.scope).toBe('openid profile read write');
  });

  it('grants them through client credentials; one the client does not list is refused', async () => {
    const answer = await tokenRequest(
      node.issuer,
      { grant_type: 'client_credentials', scope: 'read write' },
      SERVICE_CLIENT,
    );
    expect(answer.status).toBe(200);
    expect(answer.body.scope).toBe('read write');
    const unlisted = await tokenRequest(
      node.issuer,
      { grant_type: 'client_credentials', scope: 'read profile' },
      SERVICE_CLIENT,
    );
    expect(unlisted.status).toBe(400);
    expect(unlisted.body).toMatchObject({ error: 'invalid_scope', scope: 'profile' });
  });
});

describe('without EXTRA_SCOPES (the default)', () => {
  let node: TestServer;
  beforeAll(async () => {
    node = await startTestServer();
    await register(node);
  });
  afterAll(() => node?.stop());

  it('knows no read or write: not in discovery, and a client listing them is refused', async () => {
    expect(await scopesSupported(node.issuer)).not.toContain('read');
    // The provider refuses to load the client's metadata, as it does today.
    const answer = await passwordGrant(node.issuer, { scope: 'openid read', client: PASSWORD_CLIENT });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: 'invalid_client_metadata',
      error_description: 'scope must only contain Authorization Server supported scope values',
    });
  });
});
