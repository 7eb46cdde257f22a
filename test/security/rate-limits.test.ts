/**
 * The rate limits over real HTTP: login posts, password and one-time-code grants (also through the
 * X-Service-Key routes), failed client authentications and /api/request-otp, each refusing with 429
 * and Retry-After once over its limit, in the shape of its endpoint, and changing nothing else; the
 * source behind a proxy (the last X-Forwarded-For entry) and without one; the keys stored; the purge;
 * and, on PostgreSQL, two nodes on one database sharing the counts.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { purgeOnce } from '../../src/jobs/purge';
import { createRateLimits } from '../../src/security/rate-limits';
import { sourceOf } from '../../src/security/source';
import { Browser, expectPage, formsOf, textOf, type Page } from '../support/browser';
import { DEMO_CLI, DEMO_SERVICE, DEMO_SERVICE_KEY as SERVICE_KEY, DEMO_WEB } from '../support/fixtures';
import { OTP_GRANT } from '../../src/oidc/grants/names';
import {
  FORM_TYPE,
  clientPost,
  form,
  post,
  requestOtp as requestOtpAt,
  tokenRequest,
  type HttpAnswer,
} from '../support/http';
import { startWebhookReceiver, webhookDelivery, type WebhookReceiver } from '../support/receivers';
import { demoWeb, newBrowser, start } from '../interactions/support/flow';
import { createTestDatabase, usingPostgres } from '../support/database';
import type { oidc } from '../support/rp';
import { startTestServer, type TestServer } from '../support/server';
import { sleep } from '../support/wait';

/** Small limits, so each is reached in a few requests; the lockout sits one above the login limit. */
const LIMITS = {
  RATE_LIMIT_LOGIN: '3/60',
  RATE_LIMIT_TOKEN: '3/60',
  RATE_LIMIT_CLIENT_AUTH_FAILURES: '3/60',
  RATE_LIMIT_OTP_REQUEST: '3/600',
  RATE_LIMIT_OTP_REQUEST_NAME: '2/3600',
  LOCKOUT_MAX_ATTEMPTS: '4',
  OTP_RESEND_INTERVAL: '0',
};

let sources = 0;
/** A source address of its own for each test (documentation ranges, RFC 5737). */
function nextSource(): string {
  sources += 1;
  return `198.51.100.${sources}`;
}

const retryAfter = (answer: { headers: Headers }) => Number(answer.headers.get('retry-after'));

function expectRetryAfterWithin(answer: { headers: Headers }, seconds: number): void {
  expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(retryAfter(answer)).toBeGreaterThanOrEqual(1);
  expect(retryAfter(answer)).toBeLessThanOrEqual(seconds);
}

describe('behind a proxy (PROXY=true)', () => {
  let node: TestServer;
  let hook: WebhookReceiver;
  let web: oidc.Configuration;

  beforeAll(async () => {
    hook = await startWebhookReceiver();
    node = await startTestServer({
      env: {
        ...LIMITS,
        PROXY: 'true',
        ...webhookDelivery(hook),
      },
    });
    web = await demoWeb(node.issuer);
  });

  afterAll(async () => {
    await node?.stop();
    await hook?.close();
  });

  async function loginPage(forwardedFor?: string): Promise<{ browser: Browser; page: Page }> {
    const browser = newBrowser();
    if (forwardedFor) browser.headers['x-forwarded-for'] = forwardedFor;
    const started = await start(browser, web, DEMO_WEB.redirectUri);
    return { browser, page: expectPage(started.outcome) };
  }

  async function submitLogin(
    browser: Browser,
    page: Page,
    username: string,
    password: string,
    headers?: Record<string, string>,
  ): Promise<Page> {
    return expectPage(await browser.submit(page, '/login', { username, password }, headers));
  }

  function token(
    forwardedFor: string,
    params: Record<string, string>,
    client = DEMO_CLI,
    headers: Record<string, string> = {},
  ): Promise<HttpAnswer> {
    return tokenRequest(node.issuer, params, client, { 'x-forwarded-for': forwardedFor, ...headers });
  }

  function requestOtp(forwardedFor: string, username: string): Promise<HttpAnswer> {
    return requestOtpAt(node.issuer, username, { 'x-forwarded-for': forwardedFor });
  }

  describe('login form posts per source (RATE_LIMIT_LOGIN)', () => {
    it('re-renders the login page with 429 and Retry-After, and a refused post counts nothing', async () => {
      await node.services.accounts.create({ username: 'rl-lena', password: 'lenapass' });
      const { browser, page } = await loginPage(nextSource());
      let current = page;
      for (let i = 0; i < 3; i++) {
        current = await submitLogin(browser, current, 'rl-lena', `wrong-${i}`);
        expect(current.status).toBe(401);
      }
      const refused = await submitLogin(browser, current, 'rl-lena', 'wrong-3');
      expect(refused.status).toBe(429);
      expectRetryAfterWithin(refused, 60);
      expect(refused.headers.get('cache-control')).toBe('no-store');
      expect(textOf(refused)).toContain(
        'Too many sign-in attempts from your network. Please wait a moment and try again.',
      );
      expect(formsOf(refused).some((f) => f.action.endsWith('/login'))).toBe(true);
      // The right password is not even checked while the source is over the limit.
      expect((await submitLogin(browser, refused, 'rl-lena', 'lenapass')).status).toBe(429);

      // Four failures would lock the name: the refused wrong password was not counted.
      const other = await loginPage(nextSource());
      const consent = await submitLogin(other.browser, other.page, 'rl-lena', 'lenapass');
      expect(textOf(consent)).toContain('Allow Demo Web App to use your account?');
    });

    it('counts the last X-Forwarded-For entry: rotating the leftmost does not help', async () => {
      const real = nextSource();
      const { browser, page } = await loginPage();
      let current = page;
      for (let i = 0; i < 3; i++) {
        current = await submitLogin(browser, current, `rl-nobody-${i}`, 'wrong', {
          'x-forwarded-for': `10.0.0.${i}, ${real}`,
        });
        expect(current.status).toBe(401);
      }
      const refused = await submitLogin(browser, current, 'rl-nobody-3', 'wrong', {
        'x-forwarded-for': `10.9.9.9, ${real}`,
        'accept-language': 'de',
      });
      expect(refused.status).toBe(429);
      expect(textOf(refused)).toContain('Zu viele Anmeldeversuche aus Ihrem Netzwerk.');

      // The same entries with another address appended by the proxy: another source.
      const passed = await submitLogin(browser, refused, 'rl-nobody-4', 'wrong', {
        'x-forwarded-for': `${real}, ${nextSource()}`,
      });
      expect(passed.status).toBe(401);
    });
  });

  describe('password and one-time-code grants per source (RATE_LIMIT_TOKEN)', () => {
    it('answers 429 in the OAuth error shape with Retry-After, and a refused request counts nothing', async () => {
      await node.services.accounts.create({ username: 'rl-greta', password: 'gretapass' });
      const source = nextSource();
      const wrong = { grant_type: 'password', username: 'rl-greta', password: 'wrong' };
      for (let i = 0; i < 3; i++) {
        const answer = await token(source, wrong);
        expect([answer.status, answer.body.error]).toEqual([400, 'invalid_grant']);
      }
      const refused = await token(source, wrong);
      expect(refused.status).toBe(429);
      expectRetryAfterWithin(refused, 60);
      expect(refused.body).toEqual({
        error: 'too_many_requests',
        error_description: `too many token requests; retry after ${retryAfter(refused)} s`,
      });
      expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
      expect(refused.headers.get('cache-control')).toBe('no-store');

      // Four failures would lock the name: the refused request did not reach the password check.
      const ok = await token(nextSource(), { ...wrong, password: 'gretapass', scope: 'openid' });
      expect(ok.status).toBe(200);
      expect(ok.body.access_token).toEqual(expect.any(String));
    });

    it('counts both grants together, and not client_credentials', async () => {
      const source = nextSource();
      for (let i = 0; i < 4; i++)
        expect((await token(source, { grant_type: 'client_credentials' }, DEMO_SERVICE)).status).toBe(200);
      const otp = (i: number) => ({ grant_type: OTP_GRANT, username: `rl-nobody-otp-${i}`, otp: '000000' });
      expect((await token(source, otp(1))).body.error).toBe('invalid_grant');
      expect((await token(source, { grant_type: 'password', username: 'x', password: 'y' })).status).toBe(
        400,
      );
      expect((await token(source, otp(2))).body.error).toBe('invalid_grant');
      const refused = await token(source, otp(3));
      expect(refused.status).toBe(429);
      expect(refused.body.error).toBe('too_many_requests');
    });

    it('counts the X-Service-Key routes for the caller, with the token endpoint', async () => {
      const source = nextSource();
      const viaKey = () =>
        post(`${node.issuer}/api/token/password`, form({ username: 'rl-nobody-key', password: 'wrong' }), {
          ...FORM_TYPE,
          'x-service-key': SERVICE_KEY,
          'x-forwarded-for': `203.0.113.9, ${source}`,
        });
      for (let i = 0; i < 3; i++) expect((await viaKey()).body.error).toBe('invalid_grant');
      const refused = await viaKey();
      expect(refused.status).toBe(429);
      expectRetryAfterWithin(refused, 60);
      expect(refused.body).toEqual({
        error: 'too_many_requests',
        error_description: `too many token requests; retry after ${retryAfter(refused)} s`,
      });
      const direct = await token(source, { grant_type: 'password', username: 'a', password: 'b' });
      expect(direct.status).toBe(429);
    });
  });

  describe('failed client authentications per source (RATE_LIMIT_CLIENT_AUTH_FAILURES)', () => {
    it('counts invalid_client at the token, introspection and revocation endpoints, then refuses all', async () => {
      const source = nextSource();
      const wrongSecret = { ...DEMO_SERVICE, secret: 'not-the-secret' };
      const at = (
        path: string,
        client: typeof DEMO_SERVICE,
        params: Record<string, string>,
        accept?: string,
      ) =>
        clientPost(`${node.issuer}${path}`, params, client, {
          'x-forwarded-for': source,
          ...(accept ? { accept } : {}),
        });

      const failures = [
        await at('/token', wrongSecret, { grant_type: 'client_credentials' }),
        await at('/token/introspection', wrongSecret, { token: 'x' }),
        // A client asking for HTML gets the error as a page; it counts the same.
        await at('/token/revocation', wrongSecret, { token: 'x' }, 'text/html'),
      ];
      expect(failures.map((f) => f.status)).toEqual([401, 401, 401]);
      expect(failures[0]!.body.error).toBe('invalid_client');
      expect(failures[2]!.headers.get('content-type')).toMatch(/^text\/html/);

      // Over the limit: the right secret is refused too, before the provider looks at it.
      const refused = await at('/token', DEMO_SERVICE, { grant_type: 'client_credentials' });
      expect(refused.status).toBe(429);
      expectRetryAfterWithin(refused, 60);
      expect(refused.body).toEqual({
        error: 'too_many_requests',
        error_description: `too many failed client authentications; retry after ${retryAfter(refused)} s`,
      });
      expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
      expect(refused.headers.get('cache-control')).toBe('no-store');
      expect((await at('/token/introspection', DEMO_SERVICE, { token: 'x' })).status).toBe(429);
      expect((await at('/token/revocation', DEMO_SERVICE, { token: 'x' })).status).toBe(429);

      // Other sources and other endpoints are not affected.
      expect((await token(nextSource(), { grant_type: 'client_credentials' }, DEMO_SERVICE)).status).toBe(
        200,
      );
      const discovery = await fetch(`${node.issuer}/.well-known/openid-configuration`, {
        headers: { 'x-forwarded-for': source },
      });
      expect(discovery.status).toBe(200);
    });

    it('does not count a successful authentication', async () => {
      const source = nextSource();
      for (let i = 0; i < 5; i++)
        expect((await token(source, { grant_type: 'client_credentials' }, DEMO_SERVICE)).status).toBe(200);
    });
  });

  describe('/api/request-otp per source and per name', () => {
    it('refuses a source over RATE_LIMIT_OTP_REQUEST, and a refused request sends no code', async () => {
      await node.services.accounts.create({
        username: 'rl-otto',
        password: 'irrelevant-password',
        email: 'rl-otto@example.com',
      });
      const source = nextSource();
      for (let i = 0; i < 3; i++) expect((await requestOtp(source, `rl-nobody-src-${i}`)).status).toBe(202);
      const refused = await requestOtp(source, 'rl-otto');
      expect(refused.status).toBe(429);
      expectRetryAfterWithin(refused, 600);
      expect(refused.body).toEqual({
        error: 'too_many_requests',
        error_description: `too many codes were requested; retry after ${retryAfter(refused)} s`,
      });
      expect(refused.headers.get('cache-control')).toBe('no-store');
      await sleep(300);
      expect(hook.deliveries.filter((d) => d.json.username === 'rl-otto')).toHaveLength(0);
      expect(await node.services.db('otp_codes').where('username', 'rl-otto').first()).toBeUndefined();

      // From another source the same request goes through.
      expect((await requestOtp(nextSource(), 'rl-otto')).status).toBe(202);
      await hook.forUser('rl-otto');
    });

    it('refuses a name over RATE_LIMIT_OTP_REQUEST_NAME from any source, known or unknown alike', async () => {
      await node.services.accounts.create({
        username: 'rl-nina',
        password: 'irrelevant-password',
        email: 'rl-nina@example.com',
      });
      // Spellings that name the same account count together.
      for (const spelling of ['rl-nina', ' RL-Nina ']) {
        expect((await requestOtp(nextSource(), spelling)).status).toBe(202);
        expect((await requestOtp(nextSource(), 'rl-nobody-nina')).status).toBe(202);
      }
      await hook.forUser('rl-nina', 2);
      const known = await requestOtp(nextSource(), 'rl-nina');
      const unknown = await requestOtp(nextSource(), 'rl-nobody-nina');
      for (const refused of [known, unknown]) {
        expect(refused.status).toBe(429);
        expectRetryAfterWithin(refused, 3600);
        expect(retryAfter(refused)).toBeGreaterThan(3500);
        expect(refused.body.error_description).toBe(
          `too many codes were requested for this username; retry after ${retryAfter(refused)} s`,
        );
      }
      const withoutSeconds = (text: string) => text.replace(/\d+ s/, 'N s');
      expect(withoutSeconds(known.text)).toBe(withoutSeconds(unknown.text));
      await sleep(300);
      expect(hook.deliveries.filter((d) => d.json.username === 'rl-nina')).toHaveLength(2);
    });

    it('lets exactly the limit through when requests race', async () => {
      const source = nextSource();
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => requestOtp(source, `rl-nobody-race-${i}`)),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([202, 202, 202, 429, 429, 429, 429, 429]);
    });
  });

  describe('the rate_limits table', () => {
    const keys = async (like: string) =>
      (await node.services.db('rate_limits').where('key', 'like', like).select('key')).map(
        (r: { key: string }) => r.key,
      );

    it('keys a name by its hash and a source by its address, never by client text', async () => {
      const source = nextSource();
      expect((await requestOtp(source, ' Some.Name@Example.COM ')).status).toBe(202);
      const hash = createHash('sha256').update('some.name@example.com').digest('hex');
      expect(await keys(`otp-request-name:${hash}`)).toEqual([`otp-request-name:${hash}`]);
      expect(await keys(`otp-request:${source}`)).toEqual([`otp-request:${source}`]);
      expect(await keys('%ome.name%')).toEqual([]);

      // A last entry that is no address (a proxy passing on garbage) is stored as its hash.
      const garbage = `not-an-address-${'x'.repeat(300)}-\u00ff`;
      expect((await requestOtp(`198.51.100.250, ${garbage}`, 'rl-nobody-garbage')).status).toBe(202);
      const digest = createHash('sha256').update(garbage).digest('hex');
      expect(await keys(`otp-request:sha256:${digest}`)).toEqual([`otp-request:sha256:${digest}`]);
    });

    it('counts per window: check counts nothing, a new window starts afresh', async () => {
      const limits = createRateLimits(node.services.db, {
        login: { points: 2, durationSeconds: 1 },
        token: null,
        clientAuthFailures: null,
        otpRequest: null,
        otpRequestName: null,
        passwordReset: null,
        passwordResetName: null,
        registration: null,
        deviceCode: null,
        clientRegistration: null,
      });
      expect(await limits.check('login', 'window')).toEqual({ ok: true });
      expect(await limits.consume('login', 'window')).toEqual({ ok: true });
      expect(await limits.check('login', 'window')).toEqual({ ok: true });
      expect(await limits.consume('login', 'window')).toEqual({ ok: true });
      expect(await limits.check('login', 'window')).toEqual({ ok: false, retryAfterSeconds: 1 });
      expect(await limits.consume('login', 'window')).toEqual({ ok: false, retryAfterSeconds: 1 });
      // A refund gives one request back.
      await limits.consume('login', 'refund');
      await limits.consume('login', 'refund');
      await limits.refund('login', 'refund');
      expect(await limits.consume('login', 'refund')).toEqual({ ok: true });
      expect(await limits.consume('login', 'refund')).toEqual({ ok: false, retryAfterSeconds: 1 });
      // A limit turned off counts nothing.
      expect(await limits.consume('token', 'window')).toEqual({ ok: true });
      expect(await keys('token:window')).toEqual([]);
      await sleep(1100);
      expect(await limits.check('login', 'window')).toEqual({ ok: true });
      expect(await limits.consume('login', 'window')).toEqual({ ok: true });
    });

    it('loses its expired rows to the purge and keeps the others', async () => {
      const db = node.services.db;
      await db('rate_limits').insert([
        { key: 'test:expired', points: 1, expire: Date.now() - 1000 },
        { key: 'test:live', points: 1, expire: Date.now() + 60_000 },
      ]);
      const deleted: Record<string, number> = {};
      await purgeOnce(db, { onBatch: (table, n) => (deleted[table] = (deleted[table] ?? 0) + n) });
      expect(deleted.rate_limits).toBeGreaterThanOrEqual(1);
      expect(await keys('test:%')).toEqual(['test:live']);
    });
  });
});

describe('without a proxy (PROXY=false), with the resend interval', () => {
  let node: TestServer;

  beforeAll(async () => {
    node = await startTestServer({
      env: {
        RATE_LIMIT_TOKEN: '2/60',
        RATE_LIMIT_OTP_REQUEST: 'off',
        RATE_LIMIT_OTP_REQUEST_NAME: '2/3600',
        OTP_RESEND_INTERVAL: '1',
        OTP_DELIVERY: 'disabled',
      },
    });
  });

  afterAll(async () => {
    await node?.stop();
  });

  const requestOtp = (username: string) => requestOtpAt(node.issuer, username);

  it('counts the socket address and ignores X-Forwarded-For', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await tokenRequest(
        node.issuer,
        { grant_type: 'password', username: 'rl-nobody', password: 'wrong' },
        DEMO_CLI,
        { 'x-forwarded-for': `198.51.100.${i + 1}` },
      );
      statuses.push(answer.status);
    }
    expect(statuses).toEqual([400, 400, 429]);
  });

  it('does not count towards a name the requests the resend interval refused', async () => {
    const recently = /^a code was requested for this username recently/;
    expect((await requestOtp('rl-nobody-resend')).status).toBe(202);
    for (let i = 0; i < 3; i++)
      expect((await requestOtp('rl-nobody-resend')).body.error_description).toMatch(recently);
    await sleep(1100);
    expect((await requestOtp('rl-nobody-resend')).status).toBe(202);
    // Two codes were created: the name's limit is used up.
    const refused = await requestOtp('rl-nobody-resend');
    expect(refused.status).toBe(429);
    expect(refused.body.error_description).toMatch(/^too many codes were requested for this username/);
  });
});

describe('sourceOf', () => {
  const request = (remoteAddress: string | undefined, forwardedFor?: string | string[]) =>
    ({
      headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
      socket: { remoteAddress },
    }) as unknown as IncomingMessage;

  it.each([
    ['the socket address without a proxy', request('10.1.2.3', '1.1.1.1'), false, '10.1.2.3'],
    ['the last X-Forwarded-For entry behind one', request('10.1.2.3', '1.1.1.1, 2.2.2.2'), true, '2.2.2.2'],
    ['the socket address when no entry came', request('10.1.2.3', ' '), true, '10.1.2.3'],
    ['the last of repeated headers', request('10.1.2.3', ['1.1.1.1', '3.3.3.3']), true, '3.3.3.3'],
    ['IPv4 for an IPv4-mapped IPv6 address', request('::ffff:127.0.0.1'), false, '127.0.0.1'],
    ['IPv6 lower-cased', request('10.1.2.3', '2001:DB8::1'), true, '2001:db8::1'],
    ['the address without a port', request('10.1.2.3', '192.0.2.7:5123'), true, '192.0.2.7'],
    ['an IPv6 address without a port', request('10.1.2.3', '[2001:db8::2]:443'), true, '2001:db8::2'],
  ])('is %s', (_name, req, proxy, expected) => {
    expect(sourceOf(req, proxy)).toBe(expected);
  });

  it('is a hash of anything that is not an address', () => {
    const hash = createHash('sha256').update('unknown').digest('hex');
    expect(sourceOf(request(undefined, 'unknown'), true)).toBe(`sha256:${hash}`);
  });
});

const describeOnPostgres = usingPostgres ? describe : describe.skip;

describeOnPostgres('two nodes on one database', () => {
  let a: TestServer;
  let b: TestServer;
  let dropDatabase: () => Promise<void>;

  beforeAll(async () => {
    const database = await createTestDatabase();
    dropDatabase = database.drop;
    // One after the other: the first migrates and seeds.
    a = await startTestServer({ database, env: LIMITS });
    b = await startTestServer({ database, env: LIMITS });
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await dropDatabase?.();
  });

  const token = (node: TestServer, params: Record<string, string>, client = DEMO_CLI) =>
    tokenRequest(node.issuer, params, client);

  it('share the count of the token limit', async () => {
    const grant = { grant_type: 'password', username: 'rl-nobody', password: 'wrong' };
    const statuses = [];
    for (const node of [a, b, a, b]) statuses.push((await token(node, grant)).status);
    expect(statuses).toEqual([400, 400, 400, 429]);
  });

  it('share the count of failed client authentications', async () => {
    const wrong = { ...DEMO_SERVICE, secret: 'not-the-secret' };
    const grant = { grant_type: 'client_credentials' };
    const statuses = [];
    for (const node of [a, b, a]) statuses.push((await token(node, grant, wrong)).status);
    statuses.push((await token(b, grant, DEMO_SERVICE)).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});
