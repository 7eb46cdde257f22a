/**
 * What both DOT end-to-end tests (the PostgreSQL source and the dumpdata one) check after an
 * import: every user signs in with the old password at /o/token/ and is rehashed to bcrypt, the
 * refused ones are refused, every confidential client authenticates with its old secret, and the
 * tokens DOT issued keep working (or stay dead) at /o/introspect/ and /o/token/.
 */
import { clientPost, type HttpAnswer } from '../http';
import type { DotTokens } from './dot-tokens';
import type { GatehouseRig } from './gatehouse';
import type { Seeded, SeededApplication, SeededUser } from './index';

export const creds = (app: SeededApplication) =>
  app.client_type === 'public' ? { id: app.client_id } : { id: app.client_id, secret: app.client_secret };

export function oToken(
  rig: GatehouseRig,
  params: Record<string, string>,
  app: SeededApplication,
): Promise<HttpAnswer> {
  return clientPost(`${rig.issuer}/o/token/`, params, creds(app));
}

/** DOT's resource servers introspect with a confidential client's credentials (RFC 7662 §2.1). */
export function oIntrospect(rig: GatehouseRig, token: string, seeded: Seeded): Promise<HttpAnswer> {
  return clientPost(`${rig.issuer}/o/introspect/`, { token }, creds(seeded.applications.resource_server));
}

export function passwordAt(rig: GatehouseRig, seeded: Seeded, user: SeededUser, password = user.password) {
  return oToken(
    rig,
    { grant_type: 'password', username: user.username, password, scope: 'read write' },
    seeded.applications.password,
  );
}

/** The users that must sign in: active, with a usable password. */
export const signingIn = (seeded: Seeded) =>
  seeded.users.filter((u) => !u.inactive && u.format !== 'unusable');

export const userNamed = (seeded: Seeded, username: string) =>
  seeded.users.find((u) => u.username === username)!;

/** Every user's password grant, one after another; the stored hash before and after each. */
export async function signInEveryone(rig: GatehouseRig, seeded: Seeded) {
  const results: {
    username: string;
    format: string;
    before: string;
    status: number;
    bcrypt: boolean;
    refresh: boolean;
  }[] = [];
  for (const user of signingIn(seeded)) {
    const before = (await rig.account(user.username))?.password_hash ?? 'missing';
    const answer = await passwordAt(rig, seeded, user);
    const after = (await rig.account(user.username))?.password_hash ?? 'missing';
    results.push({
      username: user.username,
      format: user.format,
      before: before.slice(0, before.indexOf('$') + 1) || before.slice(0, 6),
      status: answer.status,
      // Gatehouse's own: bcrypt, or bcrypt of the SHA-256 digest for a password over bcrypt's 72 bytes
      // (written as Django's bcrypt_sha256, so an imported bcrypt_sha256 hash is already its own).
      bcrypt: /^(?:bcrypt_sha256\$)?\$2[ab]\$/.test(after),
      refresh: typeof answer.body.refresh_token === 'string',
    });
  }
  return results;
}

/** What each of them should look like: the Django prefix before, 200 with a refresh token, bcrypt after. */
export function expectedSignIns(seeded: Seeded) {
  const prefix: Record<string, string> = {
    pbkdf2_sha256: 'pbkdf2_sha256$',
    pbkdf2_sha1: 'pbkdf2_sha1$',
    argon2: 'argon2$',
    bcrypt_sha256: 'bcrypt_sha256$',
    bcrypt: 'bcrypt$',
    scrypt: 'scrypt$',
    md5: 'md5$',
    sha1: 'sha1$',
    // Django writes an unsalted MD5 as the bare hex digest, and an unsalted SHA-1 as `sha1$$…`.
    unsalted_md5: 'unsalted_md5',
    unsalted_sha1: 'sha1$',
    crypt: 'crypt$',
  };
  return signingIn(seeded).map((u) => ({
    username: u.username,
    format: u.format,
    before: u.format === 'unsalted_md5' ? expect.stringMatching(/^[0-9a-f]{6}$/) : prefix[u.format],
    status: 200,
    bcrypt: true,
    refresh: true,
  }));
}

/** The confidential clients' old secrets at Gatehouse: a grant they hold, or introspection. */
export async function authenticateEveryClient(rig: GatehouseRig, seeded: Seeded, someToken: string) {
  const results: Record<string, number> = {};
  for (const [key, app] of Object.entries(seeded.applications)) {
    if (app.client_type !== 'confidential') continue;
    const answer =
      app.grant_type === 'client-credentials'
        ? await oToken(rig, { grant_type: 'client_credentials', scope: 'read' }, app)
        : await clientPost(`${rig.issuer}/o/introspect/`, { token: someToken }, creds(app));
    results[key] = answer.status;
  }
  return results;
}

/** DOT's tokens at Gatehouse: the live ones active (with DOT's scope and username), the dead ones not. */
export async function introspectDotTokens(rig: GatehouseRig, seeded: Seeded, dot: DotTokens) {
  const body = async (token: string) => (await oIntrospect(rig, token, seeded)).body;
  return {
    ada: await body(dot.ada.access_token),
    root: await body(dot.root.access_token),
    service: await body(dot.service),
    revokedAccess: await body(dot.revokedAccess),
    expired: await body(seeded.expired_token),
  };
}

export function expectedIntrospections(seeded: Seeded) {
  const password = seeded.applications.password.client_id;
  return {
    ada: expect.objectContaining({
      active: true,
      scope: 'read write',
      client_id: password,
      username: 'ada.pbkdf2',
      exp: expect.any(Number),
    }),
    root: expect.objectContaining({ active: true, client_id: password, username: 'root' }),
    service: expect.objectContaining({
      active: true,
      scope: 'read',
      client_id: seeded.applications.service.client_id,
    }),
    revokedAccess: { active: false },
    expired: { active: false },
  };
}
