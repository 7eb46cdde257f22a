/**
 * Accounts imported from Django sign in with their old passwords on every path — the login page, the
 * password grant at /token, and /api/token/password (X-Service-Key) — and that first sign-in replaces
 * the Django hash with Gatehouse's bcrypt, over real HTTP on a real node. A wrong password changes
 * nothing; two sign-ins at once both succeed. Failures take the same time whatever the account's
 * hash (or whether the account exists).
 */
import { randomUUID } from 'node:crypto';
import { DEMO_SERVICE_KEY, DEMO_WEB } from '../support/fixtures';
import { expectPage, textOf } from '../support/browser';
import { form, post, tokenRequest, type HttpAnswer } from '../support/http';
import { startTestServer, type TestServer } from '../support/server';
import { decodeJwtPayload } from '../support/tokens';
import { demoWeb, newBrowser, redeem, signIn, signInAndAllow, start } from '../interactions/support/flow';
import { djangoAvailable, itWithDjango, makeDjangoHashes, type DjangoVector } from './django-vectors';

const PASSWORD = 'dj4ngo pässwörd';
let node: TestServer;
/** Hashes Django made of PASSWORD, by hasher. */
const hashes = new Map<string, DjangoVector>();

beforeAll(async () => {
  node = await startTestServer({ env: { LOCKOUT_MAX_ATTEMPTS: '1000', RATE_LIMIT_LOGIN: '1000/60' } });
  if (!djangoAvailable) return;
  const made = await makeDjangoHashes(
    ['pbkdf2_sha256', 'pbkdf2_sha1', 'argon2', 'bcrypt', 'scrypt', 'md5'].map((h) => [h, PASSWORD]),
  );
  for (const v of made) hashes.set(v.hasher, v);
}, 120_000);

afterAll(async () => {
  await node?.stop();
});

/** A new account holding Django's hash as the importer writes it. */
async function imported(hasher: string): Promise<{ id: string; username: string; hash: string }> {
  const username = `dj-${hasher}-${randomUUID().slice(0, 8)}`;
  const account = await node.services.accounts.create({ username, password: 'placeholder-pass' });
  const hash = hashes.get(hasher)!.encoded;
  await node.services.db('accounts').where('id', account.id).update({ password_hash: hash });
  return { id: account.id, username, hash };
}

async function stored(id: string): Promise<{ password_hash: string | null; last_login_at: Date | null }> {
  return node.services.db('accounts').where('id', id).first('password_hash', 'last_login_at');
}

/** Gatehouse's bcrypt at the test node's cost (BCRYPT_COST=4). */
const GATEHOUSE_BCRYPT = /^\$2b\$04\$[./A-Za-z0-9]{53}$/;

const passwordGrant = (username: string, password: string) =>
  tokenRequest(node.issuer, { grant_type: 'password', username, password, scope: 'openid' });

const serviceKeyRoute = (username: string, password: string): Promise<HttpAnswer> =>
  post(`${node.issuer}/api/token/password`, form({ username, password, scope: 'openid' }), {
    'content-type': 'application/x-www-form-urlencoded',
    'x-service-key': DEMO_SERVICE_KEY,
  });

async function expectRehashed(account: { id: string; hash: string }) {
  const after = await stored(account.id);
  expect(after.password_hash).toMatch(GATEHOUSE_BCRYPT);
  expect(after.password_hash).not.toBe(account.hash);
  expect(after.last_login_at).toEqual(expect.any(Date));
  expect(await node.services.accounts.passwords.verify(PASSWORD, after.password_hash)).toBe(true);
}

describe('the password grant at /token', () => {
  itWithDjango.each(['pbkdf2_sha256', 'pbkdf2_sha1', 'argon2', 'bcrypt', 'scrypt', 'md5'])(
    'signs in with a %s hash, and replaces it with bcrypt',
    async (hasher) => {
      const account = await imported(hasher);
      const wrong = await passwordGrant(account.username, 'not the password');
      expect(wrong.status).toBe(400);
      expect(wrong.body).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
      expect(await stored(account.id)).toEqual({ password_hash: account.hash, last_login_at: null });

      const right = await passwordGrant(account.username, PASSWORD);
      expect(right.status).toBe(200);
      expect(decodeJwtPayload(right.body.id_token as string).sub).toBe(account.id);
      await expectRehashed(account);
      // The password still works, now against Gatehouse's own hash.
      expect((await passwordGrant(account.username, PASSWORD)).status).toBe(200);
    },
  );

  itWithDjango('two sign-ins at once both succeed, and the hash ends as Gatehouse’s bcrypt', async () => {
    const account = await imported('pbkdf2_sha256');
    const answers = await Promise.all([
      passwordGrant(account.username, PASSWORD),
      passwordGrant(account.username, PASSWORD),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    await expectRehashed(account);
  });
});

describe('/api/token/password (X-Service-Key)', () => {
  itWithDjango('signs in with a Django hash, and replaces it with bcrypt', async () => {
    const account = await imported('argon2');
    expect((await serviceKeyRoute(account.username, 'not the password')).status).toBe(400);
    expect((await stored(account.id)).password_hash).toBe(account.hash);
    const right = await serviceKeyRoute(account.username, PASSWORD);
    expect(right.status).toBe(200);
    expect(decodeJwtPayload(right.body.id_token as string).sub).toBe(account.id);
    await expectRehashed(account);
  });
});

describe('the login page', () => {
  itWithDjango('signs in with a Django hash, and replaces it with bcrypt', async () => {
    const account = await imported('pbkdf2_sha256');
    const web = await demoWeb(node.issuer);

    const failing = newBrowser();
    const first = await start(failing, web, DEMO_WEB.redirectUri);
    const refused = expectPage(await signIn(failing, expectPage(first.outcome), account.username, 'nope'));
    expect(refused.status).toBe(401);
    expect(textOf(refused)).toContain('The username or password is incorrect.');
    expect((await stored(account.id)).password_hash).toBe(account.hash);

    const browser = newBrowser();
    const started = await start(browser, web, DEMO_WEB.redirectUri);
    const callback = await signInAndAllow(browser, started, account.username, PASSWORD);
    const tokens = await redeem(web, callback, started);
    expect(tokens.claims()!.sub).toBe(account.id);
    await expectRehashed(account);
  });
});

describe('the time a failure takes', () => {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

  itWithDjango(
    'is the same for an unknown name and for bcrypt, PBKDF2, argon2 and MD5 accounts',
    async () => {
      const accounts = node.services.accounts;
      const bcryptAccount = await accounts.create({
        username: `bc-${randomUUID().slice(0, 8)}`,
        password: PASSWORD,
      });
      const names: Record<string, string> = {
        unknown: `nobody-${randomUUID().slice(0, 8)}`,
        bcrypt: bcryptAccount.username,
        pbkdf2: (await imported('pbkdf2_sha256')).username,
        argon2: (await imported('argon2')).username,
        md5: (await imported('md5')).username,
      };
      const samples: Record<string, number[]> = {};
      // One round first, so that the node has seen its slowest format; then five timed rounds.
      for (let round = 0; round < 6; round += 1)
        for (const [kind, username] of Object.entries(names)) {
          const started = performance.now();
          expect(await accounts.authenticate(username, 'wrong password')).toEqual({
            ok: false,
            reason: 'invalid_credentials',
          });
          if (round > 0) (samples[kind] ??= []).push(performance.now() - started);
        }
      const medians = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)]));
      const values = Object.values(medians);
      // Without the floor MD5 and bcrypt at cost 4 would answer in a few milliseconds, argon2 in >50.
      const comparable = Math.min(...values) / Math.max(...values) > 0.7;
      expect({ comparable, medians }).toEqual({ comparable: true, medians });
    },
  );
});
