/**
 * The browser against a small local server: redirects followed by hand until a page or a stop,
 * cookies carried across them, forms submitted as they stand with the caller's fields on top.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Browser, atPrefixes, atRegisteredUris, formsOf, type Outcome } from '../src';

let server: http.Server;
let other: http.Server;
let origin: string;
let otherOrigin: string;
const requests: { method: string; url: string; cookie: string; body: string; language: string }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const url = req.url ?? '/';
      requests.push({
        method: req.method ?? '',
        url,
        cookie: req.headers.cookie ?? '',
        body,
        language: String(req.headers['accept-language'] ?? ''),
      });
      const redirect = (location: string, cookie?: string) => {
        res.writeHead(302, { location, ...(cookie ? { 'set-cookie': cookie } : {}) });
        res.end();
      };
      if (url === '/start') return redirect('/login', 'flow=1; Path=/; HttpOnly');
      if (url === '/login' && req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end(`<title>Sign in</title>
          <form method="post" action="/login"><input type="hidden" name="uid" value="u1">
          <input name="username"><input type="password" name="password"><button>Go</button></form>
          <form action="/search"><input name="q" value="a b"></form>`);
      }
      if (url === '/login') return redirect('http://localhost:8080/callback?code=c1&state=s');
      if (url === '/away') return redirect(`${otherOrigin}/page`);
      if (url === '/loop') return redirect('/loop');
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<h1>${url}</h1>`);
    });
  });
  // Another origin: what a redirect away from the OP reaches.
  other = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<h1>elsewhere</h1>');
  });
  for (const s of [server, other]) await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  otherOrigin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of [server, other]) await new Promise((resolve) => s.close(resolve));
});

beforeEach(() => {
  requests.length = 0;
});

function page(outcome: Outcome) {
  if (outcome.kind !== 'page') throw new Error(`a redirect to ${outcome.url.toString()}`);
  return outcome.page;
}

describe('the browser', () => {
  it('follows redirects to a page, carrying the cookies they set', async () => {
    const browser = new Browser({ stopAt: atPrefixes(['http://localhost:8080/']) });
    const login = page(await browser.go(`${origin}/start`));
    expect(login).toMatchObject({ url: `${origin}/login`, status: 200 });
    expect(requests.map((r) => `${r.method} ${r.url} ${r.cookie}`)).toEqual([
      'GET /start ',
      'GET /login flow=1',
    ]);
    expect(browser.cookies().map((c) => `${c.name}=${c.value} ${c.path}`)).toEqual(['flow=1 /']);
  });

  it('submits a page form by its action: its fields, the caller fields on top, and stops at the client', async () => {
    const browser = new Browser({ stopAt: atPrefixes(['http://localhost:8080/']) });
    const login = page(await browser.go(`${origin}/start`));
    const outcome = await browser.submit(login, '/login', { username: 'alice', password: 'p&ss' });
    expect(outcome).toEqual({
      kind: 'callback',
      url: new URL('http://localhost:8080/callback?code=c1&state=s'),
      status: 302,
    });
    expect(requests.at(-1)).toMatchObject({
      method: 'POST',
      url: '/login',
      cookie: 'flow=1',
      body: 'uid=u1&username=alice&password=p%26ss',
    });
    await expect(browser.submit(login, '/nowhere')).rejects.toThrow(/^no form with action \/nowhere on /);
  });

  it('submits a GET form as a query', async () => {
    const browser = new Browser({ stopAt: atPrefixes([]) });
    const login = page(await browser.go(`${origin}/login`));
    const search = formsOf(login).find((f) => f.action.endsWith('/search'))!;
    const result = page(await browser.submit(search, { extra: '1' }));
    expect(result.url).toBe(`${origin}/search?q=a+b&extra=1`);
  });

  it('stops at registered URIs and off the origin with the battery rule; follows with prefixes', async () => {
    const battery = new Browser({
      stopAt: atRegisteredUris(['http://localhost:8080/callback'], origin),
      headers: { 'accept-language': 'en' },
    });
    expect(await battery.go(`${origin}/away`)).toMatchObject({ kind: 'callback', status: 302 });
    expect(requests.at(-1)?.language).toBe('en');
    const tests = new Browser({ stopAt: atPrefixes(['http://localhost:8080/']) });
    tests.headers['accept-language'] = 'de';
    expect(page(await tests.go(`${origin}/away`))).toMatchObject({ url: `${otherOrigin}/page`, status: 200 });
    expect(requests.at(-1)?.language).toBe('de');
  });

  it('gives up after 20 redirects', async () => {
    const browser = new Browser({ stopAt: atPrefixes([]) });
    await expect(browser.go(`${origin}/loop`)).rejects.toThrow(`more than 20 redirects from ${origin}/loop`);
  });
});
