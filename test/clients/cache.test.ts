/**
 * The registry cache (clients, APIs): what it may keep and when it must forget.
 */
import { RegistryCache } from '../../src/clients/cache';

const client = (secret: string) => ({
  client_id: 'c',
  client_secret: secret,
  redirect_uris: ['https://rp/cb'],
});

function cache(options: Partial<{ ttlMs: number; maxEntries: number; enabled: boolean }> = {}) {
  return new RegistryCache<ReturnType<typeof client>>({
    ttlMs: 60_000,
    maxEntries: 100,
    enabled: true,
    channel: 'test_channel',
    ...options,
  });
}

it('keeps a frozen copy of what was read: neither the reader nor the caller that set it changes it', () => {
  const c = cache();
  const read = client('s1');
  c.set('c', read, c.begin());
  read.redirect_uris.push('https://later/cb');
  const first = c.get('c')!;
  expect(() => (first.redirect_uris as string[]).push('https://evil/cb')).toThrow(/not extensible/);
  expect(() => Object.assign(first, { client_secret: 'changed' })).toThrow(/read.only/);
  expect(c.get('c')).toEqual(client('s1'));
  // Handed out as it is, without a copy per read.
  expect(c.get('c')).toBe(first);
});

it('does not keep a read that began before an invalidation (a write raced it)', () => {
  const c = cache();
  const generation = c.begin();
  c.invalidate('c');
  c.set('c', client('stale'), generation);
  expect(c.get('c')).toBeUndefined();
});

it('forgets an invalidated client and expired entries', () => {
  const c = cache({ ttlMs: 1 });
  c.set('c', client('s1'), c.begin());
  c.invalidate('c');
  expect(c.get('c')).toBeUndefined();
  c.set('c', client('s1'), c.begin());
  const until = Date.now() + 5;
  while (Date.now() < until);
  expect(c.get('c')).toBeUndefined();
});

it('keeps nothing while disabled, and forgets everything when switched', () => {
  const c = cache({ enabled: false });
  c.set('c', client('s1'), c.begin());
  expect(c.get('c')).toBeUndefined();
  c.setEnabled(true);
  c.set('c', client('s1'), c.begin());
  expect(c.get('c')).toEqual(client('s1'));
  c.setEnabled(true);
  expect(c.get('c')).toBeUndefined();
});

it('drops the oldest entry when full', () => {
  const c = cache({ maxEntries: 2 });
  for (const id of ['a', 'b', 'c']) c.set(id, { ...client(id), client_id: id }, c.begin());
  expect(c.get('a')).toBeUndefined();
  expect(c.get('b')?.client_id).toBe('b');
  expect(c.get('c')?.client_id).toBe('c');
});
