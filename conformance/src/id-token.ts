/**
 * The ID token checks the suite applies in every flow (OpenID Connect Core §2, §3.1.3.7, §3.2.2.11):
 * signature by the JWKS key the header names, iss, aud/azp, exp, iat recent, auth_time sane, nonce
 * echoed (and absent when none was sent), sub printable and at most 255 characters, at_hash/c_hash
 * when present or required, and the JSON types of the registered claims.
 */
import { createHash } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { Failure, check } from './result';

/** Seconds of clock difference tolerated between the OP and this machine. */
const SKEW = 30;
/** OpenID conformance suite: iat more than five minutes away from now is a failure. */
const IAT_WINDOW = 5 * 60;

export interface IdTokenExpectations {
  issuer: string;
  clientId: string;
  jwks: { keys: JWK[] };
  /** The nonce sent, or undefined when the request carried none (then the token must carry none). */
  nonce: string | undefined;
  /** The alg the client registered (id_token_signed_response_alg). */
  alg?: string;
  accessToken?: string;
  code?: string;
  requireAtHash?: boolean;
  requireCHash?: boolean;
  /** max_age was sent (or auth_time requested): auth_time must be present. */
  requireAuthTime?: boolean;
  /** auth_time must not be before this (seconds): a fresh login happened after it. */
  authTimeAtLeast?: number;
}

export type IdTokenClaims = Record<string, unknown> & {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  auth_time?: number;
  nonce?: string;
};

/** OpenID Connect Core §3.1.3.6: the left half of the hash of the value, base64url. */
export function halfHash(value: string, alg: string): string {
  const bits = alg.endsWith('384')
    ? 384
    : alg.endsWith('512') || alg === 'EdDSA' || alg === 'Ed25519'
      ? 512
      : 256;
  const digest = createHash(`sha${bits}`).update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

const NUMERIC = ['exp', 'iat', 'auth_time', 'nbf', 'updated_at'];
const STRINGS = ['iss', 'sub', 'nonce', 'acr', 'azp', 'at_hash', 'c_hash', 's_hash', 'sid', 'name', 'email'];
const BOOLEANS = ['email_verified', 'phone_number_verified'];

function checkTypes(claims: Record<string, unknown>): void {
  for (const name of NUMERIC)
    if (name in claims)
      check(
        typeof claims[name] === 'number' && Number.isInteger(claims[name]),
        `id_token ${name} is not an integer NumericDate`,
      );
  for (const name of STRINGS)
    if (name in claims) check(typeof claims[name] === 'string', `id_token ${name} is not a string`);
  for (const name of BOOLEANS)
    if (name in claims) check(typeof claims[name] === 'boolean', `id_token ${name} is not a boolean`);
  if ('amr' in claims)
    check(
      Array.isArray(claims.amr) && claims.amr.every((v) => typeof v === 'string'),
      'id_token amr is not an array of strings',
    );
  const aud = claims.aud;
  check(
    typeof aud === 'string' ||
      (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string')),
    'id_token aud is not a string or an array of strings',
  );
}

/** Verifies an ID token; returns its claims and the warnings it deserves. Throws a Failure. */
export async function checkIdToken(
  token: string,
  expect: IdTokenExpectations,
): Promise<{ claims: IdTokenClaims; warnings: string[] }> {
  const warnings: string[] = [];
  check(typeof token === 'string' && token.split('.').length === 3, 'id_token is not a compact JWS');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new Failure('id_token header is not valid JSON');
  }
  check(header.alg && header.alg !== 'none', 'id_token is unsigned (alg none)');
  const alg = expect.alg ?? 'RS256';
  check(header.alg === alg, `id_token signed with ${header.alg}, the client registered ${alg}`);

  // The key: the one with the header's kid; without a kid, the only key of that type (Core §10.1).
  const candidates = expect.jwks.keys.filter(
    (k) => (!k.use || k.use === 'sig') && (!k.alg || k.alg === header.alg),
  );
  let key: JWK | undefined;
  if (header.kid) {
    key = candidates.find((k) => k.kid === header.kid);
    check(key, `id_token kid ${header.kid} is not in the JWKS`);
  } else {
    check(candidates.length === 1, 'id_token header has no kid and the JWKS has several keys for its alg');
    key = candidates[0];
    warnings.push('id_token header has no kid');
  }
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(token, await importJWK(key!, header.alg), {
      algorithms: [header.alg!],
    }));
  } catch (err) {
    throw new Failure(
      `id_token signature does not verify with JWKS key ${header.kid ?? ''}: ${(err as Error).message}`,
    );
  }
  let claims: IdTokenClaims;
  try {
    claims = JSON.parse(Buffer.from(payload).toString('utf8')) as IdTokenClaims;
  } catch {
    throw new Failure('id_token payload is not JSON');
  }
  check(
    claims && typeof claims === 'object' && !Array.isArray(claims),
    'id_token payload is not a JSON object',
  );
  for (const name of ['iss', 'sub', 'aud', 'exp', 'iat']) check(name in claims, `id_token has no ${name}`);
  checkTypes(claims);

  check(claims.iss === expect.issuer, `id_token iss ${claims.iss} is not the issuer ${expect.issuer}`);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  check(audiences.includes(expect.clientId), `id_token aud does not contain ${expect.clientId}`);
  if (audiences.length > 1)
    check(claims.azp === expect.clientId, 'id_token has several audiences but azp is not the client');
  if ('azp' in claims)
    check(claims.azp === expect.clientId, `id_token azp ${String(claims.azp)} is not the client`);

  const now = Math.floor(Date.now() / 1000);
  check(claims.exp > now - SKEW, 'id_token has expired');
  check(
    Math.abs(claims.iat - now) <= IAT_WINDOW,
    `id_token iat is ${claims.iat - now} s away from now (5 min max)`,
  );
  check(claims.exp > claims.iat, 'id_token exp is not after iat');
  if (expect.requireAuthTime)
    check('auth_time' in claims, 'id_token has no auth_time though max_age was sent');
  if (claims.auth_time !== undefined) {
    check(claims.auth_time <= now + SKEW, 'id_token auth_time is in the future');
    check(claims.auth_time <= claims.iat + SKEW, 'id_token auth_time is after iat');
    if (expect.authTimeAtLeast !== undefined)
      check(
        claims.auth_time >= expect.authTimeAtLeast - SKEW,
        'id_token auth_time is older than the login that just happened',
      );
  }

  if (expect.nonce === undefined)
    check(!('nonce' in claims), 'id_token has a nonce though the request had none');
  else check(claims.nonce === expect.nonce, 'id_token nonce is not the one sent');

  check(
    claims.sub.length >= 1 && claims.sub.length <= 255,
    'id_token sub is empty or longer than 255 characters',
  );
  // eslint-disable-next-line no-control-regex
  check(!/[\u0000-\u001f\u007f]/.test(claims.sub), 'id_token sub has control characters');

  if (expect.requireAtHash) check('at_hash' in claims, 'id_token has no at_hash');
  if ('at_hash' in claims && expect.accessToken)
    check(
      claims.at_hash === halfHash(expect.accessToken, header.alg!),
      'id_token at_hash does not match the access token',
    );
  if (expect.requireCHash) check('c_hash' in claims, 'id_token has no c_hash');
  if ('c_hash' in claims && expect.code)
    check(claims.c_hash === halfHash(expect.code, header.alg!), 'id_token c_hash does not match the code');
  return { claims, warnings };
}
