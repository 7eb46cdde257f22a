/**
 * Production over https behind a TLS terminator that says nothing (no PROXY, no X-Forwarded-Proto):
 * the test talks plain http to the node's port, as the terminator would. With an https issuer every
 * cookie is Secure, every response carries Strict-Transport-Security and the provider's own URLs are
 * the issuer's; with an http issuer (development) there is neither.
 */
import { createHash, randomBytes } from 'node:crypto';
import { formsOf, Browser, type Page } from '../support/browser';
import { freePort, startTestServer, type TestServer } from '../support/server';

const REDIRECT_URI = 'https://app.example.test/callback';
const CLIENT = { id: 'production-web', secret: 'production-web-secret-0123456789' };
const USER = { username: 'production-user', password: 'production-user-pass' };

/** What one sign-in sent back: every response's status and headers, in order. */
interface Exchange {
  url: string;
  status: number;
  headers: Headers;
}

/** The Set-Cookie lines of every response. */
const setCookies = (exchanges: Exchange[]) => exchanges.flatMap((e) => e.headers.getSetCookie());

async function startNode(env: Record<string, string>, issuerScheme: 'https' | 'http'): Promise<TestServer> {
  const port = await freePort();
  const node = await startTestServer({
    port,
    env: { ISSUER: `${issuerScheme}://127.0.0.1:${port}`, ...env },
  });
  await node.services.accounts.create(USER);
  await node.services.clients.save({
    client_id: CLIENT.id,
    client_secret: CLIENT.secret,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
    scope: 'openid profile',
    first_party: true,
  });
  return node;
}

/**
 * A sign-in from the authorization request to the redirect to the client, over plain http to the
 * node: an https URL of the issuer is requested at the node's http port, as a TLS terminator does.
 */
async function signIn(node: TestServer): Promise<Exchange[]> {
  const browser = new Browser([REDIRECT_URI]);
  const exchanges: Exchange[] = [];
  const overTheHop = (url: string) => url.replace(node.issuer, node.url);
  const verifier = randomBytes(32).toString('base64url');
  const auth = new URL(`${node.issuer}/auth`);
  auth.search = new URLSearchParams({
    client_id: CLIENT.id,
    response_type: 'code',
    scope: 'openid profile',
    redirect_uri: REDIRECT_URI,
    state: 'state-1',
    nonce: 'nonce-1',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();

  let url = auth.toString();
  let init: Parameters<Browser['request']>[1] = {};
  for (let hops = 0; hops < 20; hops++) {
    const res = await browser.request(overTheHop(url), init);
    exchanges.push({ url, status: res.status, headers: res.headers });
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer();
      url = new URL(location, url).toString();
      init = {};
      if (url.startsWith(REDIRECT_URI)) return exchanges;
      continue;
    }
    const page: Page = { url, status: res.status, headers: res.headers, html: await res.text() };
    const form = formsOf(page).find((f) => f.action.includes('/login') || f.action.includes('/confirm'));
    if (!form) throw new Error(`no login or consent form at ${url} (${res.status}):\n${page.html}`);
    const answers = form.action.includes('/login') ? USER : { decision: 'allow' };
    url = form.action;
    init = { method: form.method, form: { ...form.fields, ...answers } };
  }
  throw new Error('the sign-in did not reach the client');
}

describe('NODE_ENV=production with an https issuer, PROXY unset', () => {
  let node: TestServer;
  let exchanges: Exchange[];

  beforeAll(async () => {
    node = await startNode(
      {
        NODE_ENV: 'production',
        SECRET_KEY: 'a-production-secret-of-forty-eight-characters-xx',
        SEED_DEMO: 'false',
        BCRYPT_COST: '10',
        OTP_DELIVERY: 'disabled',
      },
      'https',
    );
    expect(node.config).toMatchObject({ env: 'production', proxy: false });
    expect(node.config.secretKey).toHaveLength(48);
    exchanges = await signIn(node);
  });

  afterAll(async () => {
    await node?.stop();
  });

  it('marks every cookie Secure, the session cookie included', () => {
    const cookies = setCookies(exchanges);
    const names = cookies.map((c) => c.slice(0, c.indexOf('=')));
    expect(names).toEqual(expect.arrayContaining(['_interaction', '_interaction_resume', '_session']));
    for (const cookie of cookies) expect(cookie).toMatch(/;\s*secure(;|$)/i);
  });

  it('sends Strict-Transport-Security on every response', async () => {
    const health = await fetch(`${node.url}/healthz`);
    const discovery = await fetch(`${node.url}/.well-known/openid-configuration`);
    const unknown = await fetch(`${node.url}/no-such-path`);
    for (const res of [...exchanges, health, discovery, unknown])
      expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000');
  });

  it("answers with the issuer's https URLs, not the hop's http ones", async () => {
    const metadata = (await (await fetch(`${node.url}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(metadata.issuer).toBe(node.issuer);
    expect(metadata.authorization_endpoint).toBe(`${node.issuer}/auth`);
    expect(metadata.token_endpoint).toBe(`${node.issuer}/token`);
    expect(metadata.jwks_uri).toBe(`${node.issuer}/jwks`);
    const absolute = exchanges
      .map((e) => e.headers.get('location'))
      .filter((l): l is string => Boolean(l && /^https?:/.test(l)) && !l!.startsWith(REDIRECT_URI));
    expect(absolute.length).toBeGreaterThan(0);
    for (const location of absolute) expect(location.startsWith(`${node.issuer}/`)).toBe(true);
  });
});

describe('NODE_ENV=development with an http issuer', () => {
  let node: TestServer;
  let exchanges: Exchange[];

  beforeAll(async () => {
    node = await startNode({ NODE_ENV: 'development', SEED_DEMO: 'false' }, 'http');
    exchanges = await signIn(node);
  });

  afterAll(async () => {
    await node?.stop();
  });

  it('sends no Secure cookie and no Strict-Transport-Security', async () => {
    const cookies = setCookies(exchanges);
    expect(cookies.map((c) => c.slice(0, c.indexOf('=')))).toContain('_session');
    for (const cookie of cookies) expect(cookie).not.toMatch(/secure/i);
    const discovery = await fetch(`${node.url}/.well-known/openid-configuration`);
    for (const res of [...exchanges, discovery])
      expect(res.headers.get('strict-transport-security')).toBeNull();
  });
});
