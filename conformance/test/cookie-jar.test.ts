/**
 * The browser's cookie jar (RFC 6265): path matching with the longest path first, the default path,
 * expiry and removal, hosts kept apart, Secure cookies on loopback, and what a page test reads.
 */
import { CookieJar } from '../src';

function setCookies(...lines: string[]): Headers {
  const headers = new Headers();
  for (const line of lines) headers.append('set-cookie', line);
  return headers;
}

const at = (url: string) => new URL(url);

describe('the cookie jar', () => {
  it('sends a cookie to its path and below, longest path first (RFC 6265 §5.4)', () => {
    const jar = new CookieJar();
    jar.store(
      at('http://127.0.0.1:3000/interaction/abc'),
      setCookies('site=1; Path=/', 'flow=2; Path=/interaction/abc; HttpOnly; SameSite=Lax'),
    );
    expect(jar.header(at('http://127.0.0.1:3000/interaction/abc/login'))).toBe('flow=2; site=1');
    expect(jar.header(at('http://127.0.0.1:3000/interaction/abcd'))).toBe('site=1');
    expect(jar.header(at('http://127.0.0.1:3000/'))).toBe('site=1');
  });

  it('gives a cookie without Path the directory of the request (RFC 6265 §5.1.4)', () => {
    const jar = new CookieJar();
    jar.store(at('http://127.0.0.1:3000/session/end/confirm'), setCookies('x=1'));
    expect(jar.list()).toMatchObject([{ name: 'x', value: '1', path: '/session/end' }]);
    expect(jar.header(at('http://127.0.0.1:3000/session/end/done'))).toBe('x=1');
    expect(jar.header(at('http://127.0.0.1:3000/session'))).toBe('');
  });

  it('removes a cookie set again with a past expiry or Max-Age=0', () => {
    const jar = new CookieJar();
    const url = at('http://127.0.0.1:3000/');
    jar.store(url, setCookies('a=1; Path=/', 'b=2; Path=/', 'c=3; Path=/'));
    jar.store(url, setCookies('a=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'b=2; Path=/; Max-Age=0'));
    expect(jar.header(url)).toBe('c=3');
    expect(jar.list().map((c) => c.name)).toEqual(['c']);
  });

  it('keeps hosts apart and shares a host between its ports, as browsers do', () => {
    const jar = new CookieJar();
    jar.store(at('http://127.0.0.1:3000/'), setCookies('a=1; Path=/'));
    expect(jar.header(at('http://127.0.0.1:4000/'))).toBe('a=1');
    expect(jar.header(at('http://localhost:3000/'))).toBe('');
  });

  it('keeps Secure cookies on loopback over plain http (a local TLS terminator)', () => {
    const jar = new CookieJar();
    jar.store(at('https://127.0.0.1:3443/'), setCookies('s=1; Path=/; Secure; HttpOnly'));
    expect(jar.header(at('http://127.0.0.1:3000/'))).toBe('s=1');
  });

  it('lists the attributes as sent, and clears all or only the cookies named', () => {
    const jar = new CookieJar();
    const url = at('http://127.0.0.1:3000/interaction/abc');
    jar.store(
      url,
      setCookies('_interaction=1; Path=/interaction/abc; HttpOnly; SameSite=Lax', 'other=2; Path=/'),
    );
    const [first] = jar.list();
    expect(first!.attributes).toMatch(/httponly/i);
    expect(first!.attributes).toMatch(/samesite=lax/i);
    expect(first!.attributes).not.toMatch(/secure/i);
    jar.clear(['_interaction']);
    expect(jar.list().map((c) => c.name)).toEqual(['other']);
    jar.clear();
    expect(jar.list()).toEqual([]);
  });
});
