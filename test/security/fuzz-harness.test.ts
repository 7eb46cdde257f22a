/**
 * The fuzz test's own checks and encoders (no node): a fuzz test whose leak check missed a stack
 * trace, or whose form encoding quietly repaired a hostile value, would pass while testing nothing.
 */
import { changes, leaksIn, type Input } from './fuzz-harness';
import { BASELINE, CLASSES, formField, headerValue, jsonMember, pct, type Hostile } from './fuzz-values';

const value = (cls: keyof typeof CLASSES, test: (h: Hostile) => boolean): Hostile => CLASSES[cls].find(test)!;
const input = (h: Hostile): Input => ({ param: 'state', value: h });

describe('the leak check', () => {
  it('finds a stack trace, in a page or escaped in JSON', () => {
    expect(leaksIn('Error: boom\n    at findAccount (/srv/src/accounts/store.ts:12:5)', [])).toHaveLength(1);
    expect(
      leaksIn('{"error":"boom\\n    at findAccount (/srv/src/accounts/store.ts:12:5)"}', []),
    ).toHaveLength(1);
  });

  it('finds SQL text and database errors', () => {
    expect(leaksIn('select "metadata" from "clients" where "client_id" = $1', [])[0]).toMatch(/^SQL text/);
    expect(leaksIn('invalid byte sequence for encoding "UTF8": 0x00', [])[0]).toMatch(/^SQL text/);
    expect(leaksIn('duplicate key value violates unique constraint', [])[0]).toMatch(/^SQL text/);
  });

  it('finds a bcrypt hash', () => {
    expect(leaksIn('{"password_hash":"$2b$04$abcdefghijklmnopqrstuv"}', [])[0]).toMatch(/^password hash/);
  });

  it('does not count an echo of the input, in any of its spellings', () => {
    const sql = value('sql', (h) => h.kind === 'text' && h.s.includes('SELECT'));
    const s = (sql as { s: string }).s;
    expect(leaksIn(`Location: http://localhost:8080/callback?state=${pct(s)}`, [input(sql)])).toEqual([]);
    expect(leaksIn(`<input value="${s}">`, [input(sql)])).toEqual([]);
    expect(leaksIn(`{"state":${JSON.stringify(s)}}`, [input(sql)])).toEqual([]);
    expect(leaksIn(`${s} … select id from accounts`, [input(sql)])).toHaveLength(1);
  });
});

describe('the state comparison', () => {
  const before = { accounts: 'a', login_throttle: 'b', 'oidc_payloads:Grant': '2' };

  it('names what changed, token counts included', () => {
    expect(changes(before, { ...before, accounts: 'x' }, {})).toEqual(['accounts rows']);
    expect(changes(before, { ...before, 'oidc_payloads:AccessToken': '1' }, {})).toEqual([
      'oidc_payloads:AccessToken 0 -> 1',
    ]);
  });

  it('leaves out what the family may change, and nothing else', () => {
    const after = { ...before, login_throttle: 'c', accounts: 'x' };
    expect(changes(before, after, { login_throttle: 'the lockout' })).toEqual(['accounts rows']);
  });
});

describe('the carriers', () => {
  it('keep percent-encoding garbage raw in forms and encode everything else', () => {
    expect(
      formField(
        'username',
        value('percent', (h) => h.kind === 'raw' && h.s === '%zz'),
      ),
    ).toBe('username=%zz');
    expect(
      formField(
        'username',
        value('nul', (h) => h.kind === 'text' && h.s === '\u0000'),
      ),
    ).toBe('username=%00');
    expect(pct('\uD800')).toBe('%EF%BF%BD');
  });

  it('repeat a duplicated parameter and give wrong types as raw JSON', () => {
    const twice = value('dup', (h) => h.kind === 'dup' && h.pair[0] === BASELINE && h.pair[1] === BASELINE);
    expect(formField('scope', twice, 'openid')).toBe('scope=openid&scope=openid');
    expect(jsonMember('scope', twice, 'openid')).toBe('"scope":"openid","scope":"openid"');
    const huge = value('typed', (h) => h.kind === 'typed' && h.json === '1e999');
    expect(jsonMember('limit', huge)).toBe('"limit":1e999');
    const list = value('typed', (h) => h.kind === 'typed' && h.json === '["a","b"]');
    expect(formField('roles', list)).toBe('roles[]=a&roles[]=b');
  });

  it('refuse headers HTTP cannot carry and send the rest as UTF-8 bytes', () => {
    expect(headerValue(value('nul', () => true))).toBeNull();
    expect(headerValue(value('unicode', (h) => h.kind === 'text' && h.s === '😀'))).toBe(
      Buffer.from('😀', 'utf8').toString('latin1'),
    );
  });
});
