/**
 * The sign-in lockout under a burst: 30 parallel wrong guesses for one name, and the right one at the
 * end of the same burst. At most LOCKOUT_MAX_ATTEMPTS of them may reach the credential check (bcrypt
 * for passwords, the code comparison for one-time codes), and the right one is refused with them, on
 * the password grant, the login page and the one-time-code grant alike, on one node and across two.
 */
import { usingPostgres } from '../support/database';
import { ALICE, DEMO_CLI, DEMO_WEB } from '../support/fixtures';
import { OTP_GRANT } from '../../src/oidc/grants/names';
import { tokenRequest } from '../support/http';
import { startTestServer, type TestServer } from '../support/server';
import { demoWeb, newBrowser, start } from '../interactions/support/flow';
import { expectPage } from '../support/browser';

const MAX = 5;
const ENV = { LOCKOUT_MAX_ATTEMPTS: String(MAX), OTP_MAX_ATTEMPTS: '100', OTP_RESEND_INTERVAL: '0' };

let node: TestServer;
/** bcrypt compares made by the node's account store since the last reset. */
let compares = 0;

/** Counts the password checks of a node's store (the same store the provider and pages use). */
function countCompares(target: TestServer): void {
  const passwords = target.services.accounts.passwords;
  const verify = passwords.verify.bind(passwords);
  passwords.verify = async (password, hash) => {
    compares += 1;
    return verify(password, hash);
  };
}

beforeAll(async () => {
  node = await startTestServer({ env: ENV });
  countCompares(node);
});

afterAll(async () => {
  await node?.stop();
});

beforeEach(async () => {
  compares = 0;
  await node.services.accounts.throttle.reset('alice');
});

const burst = <T>(n: number, make: (i: number) => Promise<T>) =>
  Promise.all(Array.from({ length: n }, (_, i) => make(i)));

it('lets at most LOCKOUT_MAX_ATTEMPTS of 30 parallel password guesses reach bcrypt, and refuses the right one', async () => {
  const answers = await burst(31, (i) =>
    tokenRequest(node.issuer, {
      grant_type: 'password',
      username: 'alice',
      password: i === 30 ? ALICE.password : `wrong-${i}`,
      scope: 'openid',
    }),
  );
  expect(compares).toBeLessThanOrEqual(MAX);
  for (const answer of answers) {
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_grant');
  }
  expect(await node.services.accounts.throttle.lockedUntil('alice')).toBeInstanceOf(Date);
  // Locked: even the right password is refused without a compare.
  compares = 0;
  const locked = await tokenRequest(node.issuer, {
    grant_type: 'password',
    username: 'alice',
    password: ALICE.password,
  });
  expect(locked.body.error).toBe('invalid_grant');
  expect(compares).toBe(0);
});

it('lets a burst of right passwords for one name all through (they wait for the ones in check)', async () => {
  const answers = await burst(3 * MAX, () =>
    tokenRequest(node.issuer, {
      grant_type: 'password',
      username: 'alice',
      password: ALICE.password,
      scope: 'openid',
    }),
  );
  expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
  expect(await node.services.accounts.throttle.lockedUntil('alice')).toBeNull();
});

it('does the same on the login page', async () => {
  const rp = await demoWeb(node.issuer);
  const browser = newBrowser();
  const started = await start(browser, rp, DEMO_WEB.redirectUri);
  const page = expectPage(started.outcome);
  const outcomes = await burst(31, (i) =>
    browser.submit(page, '/login', { username: 'alice', password: i === 30 ? ALICE.password : `wrong-${i}` }),
  );
  expect(compares).toBeLessThanOrEqual(MAX);
  for (const outcome of outcomes) {
    expect(outcome.kind).toBe('page');
    const status = outcome.kind === 'page' ? outcome.page.status : 0;
    expect([401, 429]).toContain(status);
  }
  // The last one, the right password, was refused as locked.
  const last = outcomes[30]!;
  expect(last.kind === 'page' && last.page.status).toBe(429);
});

it('lets at most LOCKOUT_MAX_ATTEMPTS of 30 parallel one-time codes be compared, and refuses the right one', async () => {
  const issued = await node.services.otps.request('alice');
  const code = issued.status === 'accepted' ? issued.issued!.code : '';
  expect(code).toMatch(/^\d{6}$/);
  const wrong = (i: number) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0');
  const answers = await burst(31, (i) =>
    tokenRequest(node.issuer, { grant_type: OTP_GRANT, username: 'alice', otp: i === 30 ? code : wrong(i) }),
  );
  for (const answer of answers) expect(answer.body.error).toBe('invalid_grant');
  // Every compare of a wrong code counts a try on the code's row.
  const row = await node.services.db('otp_codes').where('username', 'alice').first();
  expect(row.attempts).toBeLessThanOrEqual(MAX);
  expect(row.used_at).toBeNull();
  // Unlocked by an administrator, the unspent right code works.
  await node.services.accounts.throttle.reset('alice');
  const ok = await tokenRequest(
    node.issuer,
    { grant_type: OTP_GRANT, username: 'alice', otp: code },
    DEMO_CLI,
  );
  expect(ok.status).toBe(200);
});

(usingPostgres ? it : it.skip)('holds across two nodes on one database', async () => {
  const second = await startTestServer({ env: ENV, database: node.database });
  countCompares(second);
  try {
    const answers = await burst(30, (i) =>
      tokenRequest((i % 2 ? node : second).issuer, {
        grant_type: 'password',
        username: 'alice',
        password: `wrong-${i}`,
      }),
    );
    for (const answer of answers) expect(answer.body.error).toBe('invalid_grant');
    expect(compares).toBeLessThanOrEqual(MAX);
  } finally {
    await second.close();
  }
});
