/**
 * The client registry's contract (src/clients/store.ts): what it must do on any database. Metadata
 * comes back as it was stored, under RFC 7591 names, and always with a scope list (the default one
 * when none was given, never "every scope"); an id is registered once, also between concurrent
 * inserts, whose losers are told so; a generated secret is shown once; update, rotation and deletion
 * touch only the client they name.
 */
import { ClientStore, type StoredClient } from '../../src/clients/store';
import { DEFAULT_CLIENT_SCOPE } from '../../src/clients/scope';
import { itAcrossPools, storeContract } from './harness';

const clients = storeContract((db) => new ClientStore(db));

let named = 0;
/** An id no other test uses (the database lives for the whole file). */
const uniqueId = (stem: string) => `${stem}-${(named += 1)}`;

function machine(clientId: string, extra: Partial<StoredClient> = {}): StoredClient {
  return {
    client_id: clientId,
    client_secret: `${clientId}-secret`,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'openid profile',
    ...extra,
  };
}

describe('find and save', () => {
  it('finds the metadata it saved, and nothing for an unknown id or one the database cannot hold', async () => {
    const client = machine(uniqueId('saved'), { client_name: 'Saved', first_party: true });
    await clients.store.save(client);
    expect(await clients.store.findMetadata(client.client_id)).toEqual(client);
    expect(await clients.store.findMetadata(uniqueId('unknown'))).toBeNull();
    expect(await clients.store.findMetadata('a\u0000b')).toBeNull();
  });

  it('gives a client saved without a scope list the default list', async () => {
    const { scope: _scope, ...withoutScope } = machine(uniqueId('no-scope'));
    await clients.store.save(withoutScope);
    expect((await clients.store.findMetadata(withoutScope.client_id))!.scope).toBe(DEFAULT_CLIENT_SCOPE);
    // Rows written without one (before the list was required) read the same way.
    const legacy = uniqueId('legacy');
    await clients
      .db('clients')
      .insert({ client_id: legacy, metadata: JSON.stringify({ client_id: legacy }) });
    expect(await clients.store.findMetadata(legacy)).toEqual({
      client_id: legacy,
      scope: DEFAULT_CLIENT_SCOPE,
    });
  });

  it('replaces the whole metadata on a second save of the same id', async () => {
    const clientId = uniqueId('replaced');
    await clients.store.save(machine(clientId, { client_name: 'First', first_party: true }));
    await clients.store.save(machine(clientId, { client_name: 'Second' }));
    expect(await clients.store.findMetadata(clientId)).toEqual(machine(clientId, { client_name: 'Second' }));
  });
});

describe('insert', () => {
  it('inserts a new id and answers false for a taken one, leaving the first as it was', async () => {
    const clientId = uniqueId('inserted');
    expect(await clients.store.insert(machine(clientId, { client_name: 'First' }))).toBe(true);
    expect(await clients.store.insert(machine(clientId, { client_name: 'Second' }))).toBe(false);
    expect((await clients.store.findMetadata(clientId))!.client_name).toBe('First');
  });

  it('lets exactly one of concurrent inserts of one id win, and tells the others', async () => {
    const clientId = uniqueId('race');
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => clients.store.insert(machine(clientId, { client_name: `n${i}` }))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  itAcrossPools('lets exactly one of two nodes insert one id', async () => {
    const clientId = uniqueId('two-nodes');
    const results = await Promise.all([
      clients.store.insert(machine(clientId)),
      clients.other!.insert(machine(clientId)),
    ]);
    expect(results.sort()).toEqual([false, true]);
  });
});

describe('create', () => {
  it('registers a confidential client with a generated id and a secret it returns once', async () => {
    const { client, secret } = await clients.store.create({
      name: 'Reports',
      grantTypes: ['client_credentials'],
    });
    expect(client.client_id).toMatch(/^gh_[A-Za-z0-9_-]{16}$/);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(client.client_secret).toBe(secret);
    expect(await clients.store.findMetadata(client.client_id)).toEqual(client);
  });

  it('registers a public client without a secret', async () => {
    const { client, secret } = await clients.store.create({
      name: 'Mobile',
      public: true,
      redirectUris: ['https://app.example.com/cb'],
    });
    expect(secret).toBeNull();
    expect(client).not.toHaveProperty('client_secret');
    expect(client.token_endpoint_auth_method).toBe('none');
  });

  it('refuses an id that is taken', async () => {
    const clientId = uniqueId('taken');
    await clients.store.save(machine(clientId));
    await expect(clients.store.create({ clientId, name: 'Again' })).rejects.toThrow(
      `client ${clientId} already exists`,
    );
    expect(await clients.store.findMetadata(clientId)).toEqual(machine(clientId));
  });
});

describe('update, rotate, delete', () => {
  it('merges changes into one client, keeps its id, and answers null for an unknown one', async () => {
    const clientId = uniqueId('updated');
    const other = uniqueId('untouched');
    await clients.store.save(machine(clientId));
    await clients.store.save(machine(other));
    const updated = await clients.store.update(clientId, { client_name: 'Renamed', client_id: 'ignored' });
    expect(updated).toEqual(machine(clientId, { client_name: 'Renamed' }));
    expect(await clients.store.findMetadata(clientId)).toEqual(updated);
    expect(await clients.store.findMetadata(other)).toEqual(machine(other));
    expect(await clients.store.findMetadata('ignored')).toBeNull();
    expect(await clients.store.update(uniqueId('unknown'), { client_name: 'x' })).toBeNull();
  });

  it('rotates a confidential client’s secret, and no public or unknown client’s', async () => {
    const clientId = uniqueId('rotated');
    await clients.store.save(machine(clientId));
    const secret = await clients.store.rotateSecret(clientId);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await clients.store.findMetadata(clientId))!.client_secret).toBe(secret);
    const { client } = await clients.store.create({
      name: 'Public',
      public: true,
      redirectUris: ['https://a.example/cb'],
    });
    expect(await clients.store.rotateSecret(client.client_id)).toBeNull();
    expect(await clients.store.rotateSecret(uniqueId('unknown'))).toBeNull();
  });

  it('deletes a client once', async () => {
    const clientId = uniqueId('deleted');
    await clients.store.save(machine(clientId));
    expect(await clients.store.delete(clientId)).toBe(true);
    expect(await clients.store.findMetadata(clientId)).toBeNull();
    expect(await clients.store.delete(clientId)).toBe(false);
  });
});

describe('list and count', () => {
  it('lists every client by id, each with its scope list, and counts them', async () => {
    const second = uniqueId('listed-b');
    const first = uniqueId('listed-a');
    await clients.store.save(machine(second));
    await clients.store.save(machine(first));
    const list = await clients.store.list();
    const ids = list.map((c) => c.client_id);
    expect(ids.indexOf(first)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(first)).toBeLessThan(ids.indexOf(second));
    for (const client of list) expect(client.scope).toEqual(expect.any(String));
    expect(await clients.store.count()).toBe(list.length);
  });
});
