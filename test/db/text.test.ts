/** What PostgreSQL cannot store, found anywhere in a client's JSON, however deep. */
import { findUnstorable, isStorableText } from '../../src/db/text';

it('tells storable text from U+0000 and unpaired surrogates', () => {
  expect(isStorableText('plain, accents é, emoji 😀')).toBe(true);
  for (const bad of ['a\u0000b', 'a\ud800', '\udfffb', 'x\ud800\ud800'])
    expect(isStorableText(bad)).toBe(false);
});

it('names the path of the first unstorable string or key', () => {
  expect(findUnstorable({ a: ['ok', { b: 'x\ud800' }] })).toBe('a.1.b');
  expect(findUnstorable({ a: 'ok', 'k\u0000': 1 })).toBe('k\u0000');
  expect(findUnstorable('\u0000')).toBe('');
  expect(findUnstorable({ a: 'ok', n: 1, t: true, z: null })).toBeNull();
});

it('walks a value nested 100,000 levels deep without overflowing the stack', () => {
  let deep: unknown = 'x\u0000';
  for (let i = 0; i < 100_000; i += 1) deep = [deep];
  expect(findUnstorable(deep)?.split('.')).toHaveLength(100_000);
});
