/**
 * Sign-up (REGISTRATION=open) end to end over HTTP, with the webhook delivery: the login page's link,
 * the form and its field errors, "check your mail" with the same answer for a taken name or address
 * (and nothing sent), the link creating the account (its address verified) exactly once even when
 * opened twice at the same time, signing in with it through the login form, the per-source limit,
 * and REGISTRATION=off answering the sign-up paths like any unknown one.
 */
import { Browser, expectPage, formsOf, textOf, type Page } from '../support/browser';
import { DEMO_WEB } from '../support/fixtures';
import { startWebhookReceiver, webhookDelivery, type WebhookReceiver } from '../support/receivers';
import { startTestServer, type TestServer } from '../support/server';
import { eventually, sleep } from '../support/wait';
import { demoWeb, newBrowser, signInAndAllow, start } from './support/flow';

let hook: WebhookReceiver;
let node: TestServer;

beforeAll(async () => {
  hook = await startWebhookReceiver();
  node = await startTestServer({
    env: { REGISTRATION: 'open', RATE_LIMIT_REGISTRATION: '1000/3600', ...webhookDelivery(hook) },
  });
}, 60000);

afterAll(async () => {
  await node?.stop();
  await hook?.close();
});

const signUpEvents = () => hook.deliveries.filter((d) => d.json.event === 'email_verification.requested');

async function registerPage(browser: Browser = new Browser()): Promise<{ browser: Browser; page: Page }> {
  const outcome = await browser.go(`${node.issuer}/account/register`);
  return { browser, page: expectPage(outcome) };
}

async function signUp(fields: Record<string, string>): Promise<Page> {
  const { browser, page } = await registerPage();
  return expectPage(await browser.submit(page, '/account/register', fields));
}

/** Signs up and waits for the link; returns the webhook's event. */
async function signUpAndReceive(username: string, password: string, email = `${username}@example.com`) {
  const page = await signUp({ username, email, password });
  expect(page.status).toBe(200);
  return (await hook.forUser(username)).json;
}

describe('the login page', () => {
  it('links to the sign-up form', async () => {
    const web = await demoWeb(node.issuer);
    const started = await start(newBrowser(), web, DEMO_WEB.redirectUri);
    const page = expectPage(started.outcome);
    expect(page.html).toContain('<a href="/account/register">No account yet? Create one</a>');
  });
});

describe('signing up', () => {
  it('sends a link and creates nothing; the link creates the account, verified; it signs in', async () => {
    const page = await signUp({ username: 'Nora', email: 'nora@example.com', password: 'nora-secret-1' });
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(textOf(page)).toContain('Check your mail');
    expect(textOf(page)).toContain('a link is on its way to nora@example.com');
    const event = (await hook.forUser('Nora')).json;
    expect(event).toEqual({
      event: 'email_verification.requested',
      username: 'Nora',
      sub: null,
      email: 'nora@example.com',
      phone_number: null,
      url: `${node.issuer}/account/register/verify?token=${event.token}`,
      token: expect.stringMatching(/^[\w-]{43}$/),
      expires_at: expect.any(String),
    });
    // One day (EMAIL_VERIFICATION_TTL), give or take the test's own time.
    expect(Date.parse(event.expires_at!) - Date.now()).toBeGreaterThan(86_000_000);
    expect(await node.services.accounts.findByUsername('nora')).toBeNull();

    const done = expectPage(await new Browser().go(event.url!));
    expect([done.status, textOf(done)]).toEqual([200, expect.stringContaining('Your account is ready')]);
    expect(textOf(done)).toContain('The account Nora is created');
    const account = await node.services.accounts.findByUsername('nora');
    expect(account).toMatchObject({
      username: 'Nora',
      email: 'nora@example.com',
      emailVerified: true,
      roles: [],
    });

    // Through the login form of a relying party's request.
    const web = await demoWeb(node.issuer);
    const browser = newBrowser();
    const callback = await signInAndAllow(
      browser,
      await start(browser, web, DEMO_WEB.redirectUri),
      'nora',
      'nora-secret-1',
    );
    expect(callback.searchParams.get('code')).toBeTruthy();
  });

  it('works once: the spent link is refused', async () => {
    const event = await signUpAndReceive('olga', 'olga-secret-1');
    expect(expectPage(await new Browser().go(event.url!)).status).toBe(200);
    const again = expectPage(await new Browser().go(event.url!));
    expect(again.status).toBe(404);
    expect(textOf(again)).toContain('This link does not work');
    const wrong = expectPage(await new Browser().go(`${node.issuer}/account/register/verify?token=nonsense`));
    expect(wrong.status).toBe(404);
    const none = expectPage(await new Browser().go(`${node.issuer}/account/register/verify`));
    expect(none.status).toBe(404);
  });

  it('creates one account when the link is opened twice at the same time', async () => {
    const event = await signUpAndReceive('pia', 'pia-secret-12');
    const answers = await Promise.all([fetch(event.url!), fetch(event.url!), fetch(event.url!)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 404, 404]);
    const rows = await node.services.db('accounts').whereRaw('lower(username) = ?', ['pia']);
    expect(rows).toHaveLength(1);
  });

  it('answers a taken username and a taken address exactly like a free one, and sends nothing', async () => {
    const before = signUpEvents().length;
    const taken = await signUp({ username: 'alice', email: 'someone@example.com', password: 'whatever-123' });
    const takenAddress = await signUp({
      username: 'quinn',
      email: 'ALICE@example.com',
      password: 'whatever-123',
    });
    const free = await signUp({ username: 'rosa', email: 'someone@example.com', password: 'whatever-123' });
    expect([taken.status, free.status, takenAddress.status]).toEqual([200, 200, 200]);
    expect(taken.html).toBe(free.html);
    expect(takenAddress.html).toBe(free.html.replace('someone@example.com', 'ALICE@example.com'));
    await hook.forUser('rosa');
    // The free one was sent after the other two; give stragglers a moment all the same.
    await sleep(200);
    expect(
      signUpEvents()
        .slice(before)
        .map((d) => d.json.username),
    ).toEqual(['rosa']);
    expect(await node.services.accounts.findByUsername('quinn')).toBeNull();
  });

  it('says so when the username was taken while the link was on its way; the link stays as it was', async () => {
    const event = await signUpAndReceive('sven', 'sven-secret-1');
    await node.services.accounts.create({ username: 'SVEN', password: 'other-password' });
    for (let i = 0; i < 2; i++) {
      const page = expectPage(await new Browser().go(event.url!));
      expect(page.status).toBe(409);
      expect(textOf(page)).toContain('This username is taken');
      expect(formsOf(page)).toEqual([]);
      expect(page.html).toContain('href="/account/register"');
    }
    expect((await node.services.accounts.findByUsername('sven'))?.email).toBeNull();
  });

  it('shows field errors beside their fields with 400, and keeps what was typed but the password', async () => {
    const page = await signUp({ username: ' -bad name', email: 'not-an-address', password: 'short' });
    expect(page.status).toBe(400);
    expect(textOf(page)).toContain('Please correct the marked fields.');
    expect(page.html).toMatch(
      /<p class="field-error" id="username-error">This username does not keep the rule below./,
    );
    expect(page.html).toMatch(/<p class="field-error" id="email-error">Enter an e-mail address such as/);
    expect(page.html).toMatch(
      /<p class="field-error" id="password-error">The password needs at least 8 characters.<\/p>/,
    );
    expect(page.html).toMatch(/<input id="username" name="username" type="text" value="-bad name"/);
    expect(page.html).toMatch(/<input id="email"[^>]*value="not-an-address"/);
    expect(page.html).not.toContain('value="short"');

    const missing = await signUp({});
    expect(missing.status).toBe(400);
    expect(missing.html).toMatch(/id="username-error">Enter a username./);
    expect(missing.html).toMatch(/id="email-error">Enter your e-mail address./);
    expect(missing.html).toMatch(/id="password-error">Choose a password./);

    const one = await signUp({ username: 'tara', email: 'tara@example.com', password: 'x'.repeat(129) });
    expect(one.status).toBe(400);
    expect(one.html).toMatch(/id="password-error">The password may have at most 128 characters./);
    expect(one.html).not.toContain('id="username-error"');
    expect(one.html).not.toContain('id="email-error"');
  });

  it('speaks German to a German browser', async () => {
    const browser = new Browser();
    const page = expectPage(
      await browser.go(`${node.issuer}/account/register`, { headers: { 'accept-language': 'de' } }),
    );
    expect(page.html).toContain('<h1>Konto erstellen</h1>');
  });

  it('refuses a post from another site', async () => {
    const res = await fetch(`${node.issuer}/account/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
      body: new URLSearchParams({ username: 'ulla', email: 'ulla@example.com', password: 'ulla-secret-1' }),
    });
    expect(res.status).toBe(403);
    await res.text();
    expect(await node.services.accounts.findByUsername('ulla')).toBeNull();
  });
});

describe('the per-source limit (RATE_LIMIT_REGISTRATION)', () => {
  let limited: TestServer;
  let limitedHook: WebhookReceiver;

  beforeAll(async () => {
    limitedHook = await startWebhookReceiver();
    limited = await startTestServer({
      env: { REGISTRATION: 'open', RATE_LIMIT_REGISTRATION: '2/3600', ...webhookDelivery(limitedHook) },
    });
  }, 60000);

  afterAll(async () => {
    await limited?.stop();
    await limitedHook?.close();
  });

  it('answers the form with 429 and Retry-After once the source used it up, and sends nothing', async () => {
    const post = (username: string) =>
      fetch(`${limited.issuer}/account/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username, email: `${username}@example.com`, password: 'limit-secret-1' }),
      });
    expect((await post('vera')).status).toBe(200);
    expect((await post('')).status).toBe(400);
    const refused = await post('wanda');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.text()).toContain('Too many attempts from your network.');
    await eventually(() => limitedHook.deliveries.find((d) => d.json.username === 'vera'));
    await sleep(200);
    expect(limitedHook.deliveries.map((d) => d.json.username)).toEqual(['vera']);
  });
});

describe('REGISTRATION=off', () => {
  let off: TestServer;

  beforeAll(async () => {
    off = await startTestServer();
  }, 60000);

  afterAll(() => off?.stop());

  it('has no link on the login page, and the sign-up paths answer 404 like any unknown path', async () => {
    const web = await demoWeb(off.issuer);
    const page = expectPage((await start(newBrowser(), web, DEMO_WEB.redirectUri)).outcome);
    expect(page.html).not.toContain('/account/register');
    const unknown = expectPage(await new Browser().go(`${off.issuer}/account/no-such-page`));
    for (const path of ['/account/register', '/account/register/verify?token=x']) {
      const answer = expectPage(await new Browser().go(`${off.issuer}${path}`));
      expect([answer.status, answer.html]).toEqual([404, unknown.html]);
    }
    const posted = await fetch(`${off.issuer}/account/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=xena&email=xena%40example.com&password=xena-secret-1',
    });
    expect(posted.status).toBe(404);
    await posted.text();
    expect(await off.services.accounts.findByUsername('xena')).toBeNull();
  });
});
