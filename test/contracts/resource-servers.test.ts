/**
 * The registry of APIs' contract (src/clients/resource-servers.ts): what it must do on any database.
 * An identifier is an absolute https URI without fragment (RFC 8707 §2) registered once, also between
 * concurrent inserts, whose losers are told `conflict`; scopes are RFC 6749 scope tokens; the format
 * is jwt or opaque; the lifetime 60..86400 seconds. Bad input is refused with per-field details.
 */
import { KnexResourceServerStore, type ResourceServerInput } from '../../src/clients/resource-servers';
import { itAcrossPools, storeContract } from './harness';

const apis = storeContract((db) => new KnexResourceServerStore(db, { allowHttp: false }));

let named = 0;
const uniqueIdentifier = (stem: string) => `https://${stem}-${(named += 1)}.example.com`;

function api(identifier: string, extra: Partial<ResourceServerInput> = {}): ResourceServerInput {
  return { identifier, name: 'Orders', scopes: ['read', 'write'], format: 'jwt', ttlSeconds: 600, ...extra };
}

async function codeOf(
  promise: Promise<unknown>,
): Promise<{ code?: string; details?: Record<string, string> }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: string; details?: Record<string, string> };
  }
  throw new Error('expected a rejection');
}

describe('create, find, list', () => {
  it('finds what it created, exactly as registered, and nothing for an unknown or unstorable identifier', async () => {
    const identifier = uniqueIdentifier('orders');
    const created = await apis.store.create(api(identifier));
    expect(created).toEqual({ ...api(identifier), createdAt: expect.any(Date) });
    expect(await apis.store.find(identifier)).toEqual(created);
    // Exact match: the trailing-slash form is another identifier.
    expect(await apis.store.find(`${identifier}/`)).toBeNull();
    expect(await apis.store.find(uniqueIdentifier('unknown'))).toBeNull();
    expect(await apis.store.find('https://a\u0000b')).toBeNull();
  });

  it('lists every API, by identifier', async () => {
    const a = uniqueIdentifier('list-a');
    const b = uniqueIdentifier('list-b');
    await apis.store.create(api(b, { format: 'opaque', name: null }));
    await apis.store.create(api(a));
    const listed = (await apis.store.list()).map((entry) => entry.identifier);
    expect(listed).toEqual([...listed].sort());
    expect(listed).toEqual(expect.arrayContaining([a, b]));
    expect((await apis.store.find(b))!.name).toBeNull();
  });

  it('keeps each scope once, in order', async () => {
    const identifier = uniqueIdentifier('dupes');
    const created = await apis.store.create(api(identifier, { scopes: ['write', 'read', 'write'] }));
    expect(created.scopes).toEqual(['write', 'read']);
  });

  it('refuses a second registration of the same identifier with conflict', async () => {
    const identifier = uniqueIdentifier('twice');
    await apis.store.create(api(identifier));
    expect((await codeOf(apis.store.create(api(identifier)))).code).toBe('conflict');
  });

  itAcrossPools('tells the loser of two concurrent registrations that it lost', async () => {
    const identifier = uniqueIdentifier('race');
    const results = await Promise.allSettled([
      apis.store.create(api(identifier)),
      apis.other!.create(api(identifier, { name: 'Other' })),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const [lost] = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect((lost!.reason as { code?: string }).code).toBe('conflict');
  });
});

describe('validation', () => {
  it.each([
    ['not a URI', 'api.example.com', 'must be an absolute URI'],
    ['a fragment (RFC 8707 §2)', 'https://api.example.com/#x', 'must not contain a fragment'],
    ['a query', 'https://api.example.com/?a=1', 'must not contain a query'],
    ['http', 'http://api.example.com', 'must be an https URI'],
    ['another scheme', 'urn:example:api', 'must be an https URI'],
    ['empty', '', 'required'],
  ])('refuses an identifier with %s', async (_case, identifier, problem) => {
    const err = await codeOf(apis.store.create(api(identifier)));
    expect(err.code).toBe('invalid_request');
    expect(err.details).toEqual({ identifier: problem });
  });

  it('takes http identifiers where the rules allow them (outside production)', async () => {
    const dev = new KnexResourceServerStore(apis.db, { allowHttp: true });
    const identifier = `http://dev-${(named += 1)}.localhost:9000/api`;
    expect((await dev.create(api(identifier))).identifier).toBe(identifier);
  });

  it.each([
    ['scopes', { scopes: [] }],
    ['scopes', { scopes: ['has space'] }],
    ['scopes', { scopes: ['quote"'] }],
    ['scopes', { scopes: ['openid'] }],
    ['format', { format: 'paseto' as 'jwt' }],
    ['ttl_seconds', { ttlSeconds: 59 }],
    ['ttl_seconds', { ttlSeconds: 86_401 }],
    ['ttl_seconds', { ttlSeconds: 60.5 }],
    ['name', { name: '' }],
  ])('refuses bad %s', async (field, extra) => {
    const err = await codeOf(apis.store.create(api(uniqueIdentifier('bad'), extra)));
    expect(err.code).toBe('invalid_request');
    expect(Object.keys(err.details ?? {})).toEqual([field]);
  });

  it('takes the bounds of the lifetime', async () => {
    await expect(apis.store.create(api(uniqueIdentifier('min'), { ttlSeconds: 60 }))).resolves.toBeTruthy();
    await expect(
      apis.store.create(api(uniqueIdentifier('max'), { ttlSeconds: 86_400 })),
    ).resolves.toBeTruthy();
  });
});

describe('update and delete', () => {
  it('changes only what it is given, and only the API it names', async () => {
    const identifier = uniqueIdentifier('changed');
    const bystander = uniqueIdentifier('bystander');
    await apis.store.create(api(identifier));
    await apis.store.create(api(bystander));
    const updated = await apis.store.update(identifier, { format: 'opaque', ttlSeconds: 120 });
    expect(updated).toEqual({
      ...api(identifier, { format: 'opaque', ttlSeconds: 120 }),
      createdAt: expect.any(Date),
    });
    expect(await apis.store.find(bystander)).toEqual({ ...api(bystander), createdAt: expect.any(Date) });
    expect(await apis.store.update(uniqueIdentifier('none'), { name: 'x' })).toBeNull();
    expect((await codeOf(apis.store.update(identifier, { scopes: ['a b'] }))).code).toBe('invalid_request');
  });

  it('deletes once', async () => {
    const identifier = uniqueIdentifier('deleted');
    await apis.store.create(api(identifier));
    expect(await apis.store.delete(identifier)).toBe(true);
    expect(await apis.store.delete(identifier)).toBe(false);
    expect(await apis.store.find(identifier)).toBeNull();
  });
});
