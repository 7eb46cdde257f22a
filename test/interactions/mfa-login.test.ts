/**
 * The second step of the browser sign-in: an account with an authenticator app signs in with its
 * password and then a code (or a recovery code, once), and the ID token says so (RFC 8176 amr, the
 * acr of OpenID Connect Core §2); replayed and wrong codes are refused, wrong codes lock the name;
 * step-up of a one-factor session through acr_values and an essential acr claim asks for the code
 * alone; MFA_REQUIRED_ROLES takes an admin without a factor through enrollment inside the login.
 */
import { generate } from 'otplib';
import type { Account } from '../../src/accounts/store';
import { ADMIN, DEMO_WEB } from '../support/fixtures';
import {
  expectCallback,
  expectPage,
  formsOf,
  textOf,
  type Browser,
  type Outcome,
  type Page,
} from '../support/browser';
import type { oidc } from '../support/rp';
import type { TestServer } from '../support/server';
import {
  answerConsent,
  newBrowser,
  redeem,
  signIn,
  start,
  startWithDemoWeb,
  type Started,
} from './support/flow';

const MFA = 'urn:gatehouse:acr:mfa';
const PWD = 'urn:gatehouse:acr:pwd';
// Many posts from one address: the login rate limit is not what these tests are about.
const ENV = { LOCKOUT_MAX_ATTEMPTS: '3', RATE_LIMIT_LOGIN: '1000/60' };

let node: TestServer;
let web: oidc.Configuration;

beforeAll(async () => {
  ({ node, web } = await startWithDemoWeb(ENV));
});

afterAll(() => node?.stop());

const now = () => Math.floor(Date.now() / 1000);

/** A code of the next time step: the enrollment took the current one (each step is accepted once). */
const nextCode = (secret: string) => generate({ secret, epoch: now() + 30 });

async function newAccount(username: string): Promise<Account> {
  await node.services.accounts.create({ username, password: `${username}-password` });
  return (await node.services.accounts.findByUsername(username))!;
}

/** Enrolls an authenticator app the way the account API does: start, then a first code. */
async function enrollTotp(account: Account): Promise<{ secret: string; recoveryCodes: string[] }> {
  const started = await node.services.mfa.startTotp(account);
  const recoveryCodes = await node.services.mfa.confirmTotp(
    account.id,
    await generate({ secret: started!.secret }),
  );
  return { secret: started!.secret, recoveryCodes: recoveryCodes! };
}

/** An authorization request, and the page after the password. */
async function afterPassword(
  browser: Browser,
  username: string,
  params: Record<string, string> = {},
): Promise<{ started: Started; page: Page }> {
  const started = await start(browser, web, DEMO_WEB.redirectUri, params);
  const page = expectPage(
    await signIn(browser, expectPage(started.outcome), username, `${username}-password`),
  );
  return { started, page };
}

function submitCode(browser: Browser, page: Page, otp: string): Promise<Outcome> {
  return browser.submit(page, '/mfa', { otp });
}

/** Through the consent page when it is asked: the callback. */
async function throughConsent(browser: Browser, outcome: Outcome): Promise<URL> {
  if (outcome.kind === 'page' && formsOf(outcome.page).some((f) => f.action.includes('/confirm')))
    return expectCallback(await answerConsent(browser, outcome.page, 'allow'));
  return expectCallback(outcome);
}

/** The ID token's claims, from openid-client's code exchange (signature, nonce and PKCE checked). */
async function idTokenOf(started: Started, callback: URL, rp: oidc.Configuration = web) {
  const tokens = await redeem(rp, callback, started);
  return tokens.claims()!;
}

function expectCodePage(page: Page): void {
  expect(page.url).toMatch(/\/interaction\/[\w-]+$/);
  expect(page.html).toMatch(
    /<input id="otp" name="otp" type="text"[^>]*autocomplete="one-time-code" inputmode="numeric"/,
  );
  expect(page.html).toMatch(/<label for="otp">Verification code<\/label>/);
  expect(page.html).not.toContain('name="password"');
}

describe('an account with an authenticator app', () => {
  it('signs in with its password and then a code: amr pwd, otp, mfa and the two-factor acr', async () => {
    const account = await newAccount('mfa-erin');
    const { secret } = await enrollTotp(account);
    const browser = newBrowser();
    const { started, page } = await afterPassword(browser, account.username);
    expect(page.status).toBe(200);
    expectCodePage(page);
    expect(textOf(page)).toContain('A recovery code works too.');
    expect(page.headers.get('cache-control')).toBe('no-store');
    // No passkey: no passkey button and no script.
    expect(page.html).not.toMatch(/<script|style=/);

    const callback = await throughConsent(browser, await submitCode(browser, page, await nextCode(secret)));
    const claims = await idTokenOf(started, callback);
    expect(claims.sub).toBe(account.id);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.acr).toBe(MFA);
  });

  it('signs in with a recovery code once; the same code is refused the second time', async () => {
    const account = await newAccount('mfa-frank');
    const { recoveryCodes } = await enrollTotp(account);
    const code = recoveryCodes[0]!;

    const first = newBrowser();
    const one = await afterPassword(first, account.username);
    const callback = await throughConsent(first, await submitCode(first, one.page, code.toUpperCase()));
    const claims = await idTokenOf(one.started, callback);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.acr).toBe(MFA);

    const second = newBrowser();
    const two = await afterPassword(second, account.username);
    const refused = expectPage(await submitCode(second, two.page, code));
    expect(refused.status).toBe(401);
    expect(textOf(refused)).toContain('This code is not correct.');
    expect(refused.html).toMatch(/<div class="alert" id="otp-error" role="alert">/);
    expect(refused.html).toMatch(/aria-describedby="otp-hint otp-error" aria-invalid="true"/);
    expect(await node.services.mfa.recoveryCodes.remaining(account.id)).toBe(9);
  });

  it('refuses a code accepted before (RFC 6238 §5.2)', async () => {
    const account = await newAccount('mfa-grace');
    const { secret } = await enrollTotp(account);
    const code = await nextCode(secret);

    const first = newBrowser();
    const one = await afterPassword(first, account.username);
    await throughConsent(first, await submitCode(first, one.page, code));

    const second = newBrowser();
    const two = await afterPassword(second, account.username);
    const replayed = expectPage(await submitCode(second, two.page, code));
    expect(replayed.status).toBe(401);
    expect(textOf(replayed)).toContain('This code is not correct.');
  });

  it('counts wrong codes towards the lockout of the name; then even the right password is refused', async () => {
    const account = await newAccount('mfa-heidi');
    const { secret } = await enrollTotp(account);
    const browser = newBrowser();
    let { page } = await afterPassword(browser, account.username);
    for (let i = 0; i < 2; i++) {
      page = expectPage(await submitCode(browser, page, '000000'));
      expect(page.status).toBe(401);
    }
    const locked = expectPage(await submitCode(browser, page, '000000'));
    expect(locked.status).toBe(429);
    expect(textOf(locked)).toContain('Too many unsuccessful attempts. Please try again later.');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    // The right code does not get through either while the name is locked.
    const stillLocked = expectPage(await submitCode(browser, locked, await nextCode(secret)));
    expect(stillLocked.status).toBe(429);

    const again = newBrowser();
    const started = await start(again, web, DEMO_WEB.redirectUri);
    const refused = expectPage(
      await signIn(again, expectPage(started.outcome), account.username, `${account.username}-password`),
    );
    expect(refused.status).toBe(429);
    expect(textOf(refused)).toContain('Too many unsuccessful attempts. Please try again later.');
    expect(refused.html).toContain('name="password"');
  });

  it('asks for the code when it is empty and sends a post without a password shown to the login page', async () => {
    const account = await newAccount('mfa-ivan');
    await enrollTotp(account);
    const browser = newBrowser();
    const { page } = await afterPassword(browser, account.username);
    const empty = expectPage(await submitCode(browser, page, ''));
    expect(empty.status).toBe(400);
    expect(textOf(empty)).toContain('Enter the code from your authenticator app or a recovery code.');

    // Another browser's interaction at the password step: a code post shows the login page.
    const other = newBrowser();
    const started = await start(other, web, DEMO_WEB.redirectUri);
    const login = expectPage(started.outcome);
    const uid = /\/interaction\/([\w-]+)/.exec(login.url)![1]!;
    const answer = expectPage(
      await other.go(`${node.issuer}/interaction/${uid}/mfa`, { method: 'POST', form: { otp: '123456' } }),
    );
    expect(answer.url).toMatch(/\/interaction\/[\w-]+$/);
    expect(answer.html).toContain('name="password"');
  });
});

describe('an account without a second factor', () => {
  it('signs in with its password alone: amr pwd and the one-factor acr', async () => {
    const account = await newAccount('mfa-judy');
    const browser = newBrowser();
    const { started, page } = await afterPassword(browser, account.username);
    const callback = await throughConsent(browser, { kind: 'page', page });
    const claims = await idTokenOf(started, callback);
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.acr).toBe(PWD);
  });
});

describe('step-up', () => {
  /** Signs in with the password only (the account has no factor yet; it enrolls one after). */
  async function oneFactorSession(account: Account, browser: Browser): Promise<void> {
    const started = await start(browser, web, DEMO_WEB.redirectUri);
    const outcome = await signIn(
      browser,
      expectPage(started.outcome),
      account.username,
      `${account.username}-password`,
    );
    const claims = await idTokenOf(started, await throughConsent(browser, outcome));
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.acr).toBe(PWD);
  }

  it('asks a one-factor session only for the code when acr_values asks for two factors', async () => {
    const account = await newAccount('mfa-ken');
    const browser = newBrowser();
    await oneFactorSession(account, browser);
    const { secret } = await enrollTotp(account);

    const started = await start(browser, web, DEMO_WEB.redirectUri, { acr_values: MFA });
    const page = expectPage(started.outcome);
    expectCodePage(page);
    const callback = await throughConsent(browser, await submitCode(browser, page, await nextCode(secret)));
    const claims = await idTokenOf(started, callback);
    expect(claims.sub).toBe(account.id);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.acr).toBe(MFA);
  });

  it('does the same for an essential acr claim (OpenID Connect Core §5.5.1.1)', async () => {
    const account = await newAccount('mfa-lena');
    const browser = newBrowser();
    await oneFactorSession(account, browser);
    const { secret } = await enrollTotp(account);

    const claimsRequest = JSON.stringify({ id_token: { acr: { essential: true, value: MFA } } });
    const started = await start(browser, web, DEMO_WEB.redirectUri, { claims: claimsRequest });
    const page = expectPage(started.outcome);
    expectCodePage(page);
    const callback = await throughConsent(browser, await submitCode(browser, page, await nextCode(secret)));
    const claims = await idTokenOf(started, callback);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.acr).toBe(MFA);
  });

  it('takes a one-factor session without a factor to enrollment', async () => {
    const account = await newAccount('mfa-mike');
    const browser = newBrowser();
    await oneFactorSession(account, browser);
    const started = await start(browser, web, DEMO_WEB.redirectUri, { acr_values: MFA });
    const page = expectPage(started.outcome);
    expect(textOf(page)).toContain('Set up two-step verification');
    expect(page.html).not.toContain('name="password"');
  });
});

describe('MFA_REQUIRED_ROLES=admin', () => {
  let strict: TestServer;
  let strictWeb: oidc.Configuration;

  beforeAll(async () => {
    ({ node: strict, web: strictWeb } = await startWithDemoWeb({ ...ENV, MFA_REQUIRED_ROLES: 'admin' }));
  });

  afterAll(() => strict?.stop());

  /** The base32 secret the enrollment page shows, in groups of four. */
  function secretOn(page: Page): string {
    const shown = /<code class="totp-secret">([A-Z2-7 ]+)<\/code>/.exec(page.html);
    if (!shown) throw new Error(`no secret on the page:\n${textOf(page)}`);
    return shown[1]!.replace(/ /g, '');
  }

  it('asks a one-factor session for the second factor once the account holds the role', async () => {
    await strict.services.accounts.create({ username: 'mfa-nina', password: 'mfa-nina-password' });
    const account = (await strict.services.accounts.findByUsername('mfa-nina'))!;
    const browser = newBrowser();
    const first = await start(browser, strictWeb, DEMO_WEB.redirectUri);
    const outcome = await signIn(browser, expectPage(first.outcome), account.username, 'mfa-nina-password');
    const before = await idTokenOf(first, await throughConsent(browser, outcome), strictWeb);
    expect(before.amr).toEqual(['pwd']);

    await strict.services.accounts.setRoles(account.id, ['admin']);
    // The role (and a factor) arrive after the session began with one factor.
    const enrollment = await strict.services.mfa.startTotp(account);
    const secret = enrollment!.secret;
    await strict.services.mfa.confirmTotp(account.id, await generate({ secret }));
    const next = await start(browser, strictWeb, DEMO_WEB.redirectUri);
    const page = expectPage(next.outcome);
    expectCodePage(page);
    const callback = await throughConsent(browser, await submitCode(browser, page, await nextCode(secret)));
    const after = await idTokenOf(next, callback, strictWeb);
    expect(after.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(after.acr).toBe(MFA);
  });

  it('takes an admin without a factor through enrollment, its recovery codes, and on with mfa', async () => {
    const browser = newBrowser();
    const started = await start(browser, strictWeb, DEMO_WEB.redirectUri);
    const enroll = expectPage(
      await signIn(browser, expectPage(started.outcome), ADMIN.username, ADMIN.password),
    );
    expect(enroll.status).toBe(200);
    expect(textOf(enroll)).toContain('Set up two-step verification');
    expect(enroll.html).toMatch(/<img class="totp-qr" src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+"/);
    expect(enroll.html).not.toMatch(/<svg|<script|style=/);
    expect(enroll.html).toMatch(/<input id="code" name="code" type="text"[^>]*autocomplete="one-time-code"/);
    expect(secretOn(enroll)).toMatch(/^[A-Z2-7]{16,}$/);

    // An empty code: 400. "Continue" without a confirmed factor goes back to the (fresh) setup.
    const empty = expectPage(await browser.submit(enroll, '/enroll', { code: '' }));
    expect(empty.status).toBe(400);
    expect(textOf(empty)).toContain('Enter the 6-digit code your app shows.');
    const skipped = expectPage(
      await browser.go(empty.url.replace(/\/enroll$/, '/enroll/done'), { method: 'POST', form: {} }),
    );
    expect(skipped.status).toBe(200);
    expect(textOf(skipped)).toContain('Set up two-step verification');
    const secret = secretOn(skipped);

    // A wrong code: 400, the same secret shown again, nothing activated.
    const wrong = expectPage(await browser.submit(skipped, '/enroll', { code: '000000' }));
    expect(wrong.status).toBe(400);
    expect(textOf(wrong)).toContain('This code is not correct.');
    expect(wrong.html).toMatch(/aria-describedby="code-hint code-error" aria-invalid="true"/);
    expect(secretOn(wrong)).toBe(secret);
    expect(await strict.services.mfa.hasSecondFactor(ADMIN.id)).toBe(false);

    const codes = expectPage(await browser.submit(wrong, '/enroll', { code: await generate({ secret }) }));
    expect(codes.status).toBe(200);
    expect(textOf(codes)).toContain('Save your recovery codes');
    const shown = [...codes.html.matchAll(/<li><code>([a-z2-9]{5}-[a-z2-9]{5})<\/code><\/li>/g)].map(
      (m) => m[1],
    );
    expect(shown).toHaveLength(10);
    expect(new Set(shown).size).toBe(10);
    expect(await strict.services.mfa.hasSecondFactor(ADMIN.id)).toBe(true);

    const outcome = await browser.submit(codes, '/enroll/done', {});
    const callback = await throughConsent(browser, outcome);
    const tokens = await idTokenOf(started, callback, strictWeb);
    expect(tokens.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(tokens.acr).toBe(MFA);

    // The next sign-in asks for the code of the app just enrolled.
    const next = newBrowser();
    const again = await start(next, strictWeb, DEMO_WEB.redirectUri);
    const codePage = expectPage(
      await signIn(next, expectPage(again.outcome), ADMIN.username, ADMIN.password),
    );
    expectCodePage(codePage);
  });
});
